-- current_run: the one run BI dashboards show, the newest succeeded run of the latest period. A
-- backfill of an older period never replaces it; a rerun of the latest period does.
-- Grain: at most one row (none before the first succeeded run).
-- Columns: every column of `runs`, in its order (as period_runs; what each means: docs/warehouse.md).
CREATE OR REPLACE VIEW current_run AS
SELECT *
FROM period_runs
ORDER BY period_start DESC, finished_at DESC
LIMIT 1;
