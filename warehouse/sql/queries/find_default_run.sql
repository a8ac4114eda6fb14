-- The current run, else the newest run.
SELECT coalesce((SELECT run_id FROM current_run), (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1));
