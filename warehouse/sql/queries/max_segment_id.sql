-- The largest segment ID ever issued in this warehouse (0 when none): new IDs start above it.
SELECT coalesce(max(segment_id), 0) FROM segment_profiles;
