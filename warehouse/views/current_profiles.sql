-- current_profiles: the segments of the current run, as segment_profiles describes them.
-- Grain: one row per segment_id.
-- Columns: every column of `segment_profiles`, in its order (warehouse/migrations/001_core_tables.sql
-- and the migrations that add to it; docs/warehouse.md#segment_profiles).
CREATE OR REPLACE VIEW current_profiles AS
SELECT p.*
FROM segment_profiles AS p
JOIN current_run AS r ON p.run_id = r.run_id;
