-- current_drift_flags: what drifted in the current run against its reference.
-- Grain: one row per flag.
-- Columns: every column of `drift_flags`, in its order (what each means: docs/warehouse.md).
CREATE OR REPLACE VIEW current_drift_flags AS
SELECT f.*
FROM drift_flags AS f
JOIN current_run AS r ON f.run_id = r.run_id;
