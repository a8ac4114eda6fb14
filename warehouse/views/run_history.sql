-- run_history: every run, whatever its outcome, newest first, with what a person checks first.
-- Grain: one row per run_id.
-- Columns (as in `runs` unless said):
--   run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
--   silhouette, source_path, error
--   is_current        BOOLEAN  the run is current_run
--   mode, model_run_id, reference_run_id, ari_vs_reference, kept_share, drift_flags
--   n_customers       BIGINT   customers segmented (a customer table: the rows read)
--   source_kind       VARCHAR  'customers' (a customer table) or 'orders' (an order history)
CREATE OR REPLACE VIEW run_history AS
SELECT
    run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
    silhouette, source_path, error,
    run_id = (SELECT run_id FROM current_run) AS is_current,
    mode, model_run_id, reference_run_id, ari_vs_reference, kept_share, drift_flags,
    coalesce(n_customers, n_rows) AS n_customers, coalesce(source_kind, 'customers') AS source_kind
FROM runs
ORDER BY started_at DESC;
