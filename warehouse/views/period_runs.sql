-- period_runs: the newest succeeded run of every period; "current" and every per-period view
-- start here. Grain: one row per period.
-- Columns: every column of `runs`, in its order (what each means: docs/warehouse.md).
CREATE OR REPLACE VIEW period_runs AS
SELECT *
FROM runs
WHERE status = 'succeeded'
QUALIFY row_number() OVER (PARTITION BY period ORDER BY finished_at DESC, run_id DESC) = 1;
