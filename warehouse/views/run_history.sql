-- run_history: every run, whatever its outcome, newest first, with what a person checks first.
-- Grain: one row per run_id.
-- Columns:
--   run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason  as in `runs`
--   silhouette, source_path, error  as in `runs`
--   is_current   BOOLEAN  true for the current run (the newest succeeded run of the latest period)
--   mode, model_run_id, reference_run_id, ari_vs_reference, kept_share, drift_flags  as in `runs`
--   n_customers  BIGINT   customers segmented (orders: those who ordered in the window; a customer
--                         table: the rows read)
--   source_kind  VARCHAR  `customers` (a customer table) or `orders` (an order history)
CREATE OR REPLACE VIEW run_history AS
SELECT
    run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
    silhouette, source_path, error,
    run_id = (SELECT run_id FROM current_run) AS is_current,
    mode, model_run_id, reference_run_id, ari_vs_reference, kept_share, drift_flags,
    coalesce(n_customers, n_rows) AS n_customers, coalesce(source_kind, 'customers') AS source_kind
FROM runs
ORDER BY started_at DESC;
