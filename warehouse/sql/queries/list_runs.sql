-- Run history for the command line: newest first, optionally one period, at most $2 rows.
SELECT run_id, period, status, mode, k, silhouette, n_rows, n_customers, source_kind, finished_at, is_current, ari_vs_reference, drift_flags, error
FROM run_history
WHERE $1 IS NULL OR period = $1
ORDER BY started_at DESC
LIMIT $2;
