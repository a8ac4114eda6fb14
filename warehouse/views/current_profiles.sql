-- current_profiles: the segments of the current run, as segment_profiles describes them.
-- Grain: one row per segment_id.
-- Columns: every column of `segment_profiles`, in its order (what each means: docs/warehouse.md).
CREATE OR REPLACE VIEW current_profiles AS
SELECT p.*
FROM segment_profiles AS p
JOIN current_run AS r ON p.run_id = r.run_id;
