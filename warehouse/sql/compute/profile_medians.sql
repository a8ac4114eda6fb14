-- Per segment: the median of every profiled column (see profile_segments.sql).
SELECT segment_id, median(COLUMNS(* EXCLUDE (segment_id)))
FROM profiled_arrow
GROUP BY segment_id
ORDER BY segment_id;
