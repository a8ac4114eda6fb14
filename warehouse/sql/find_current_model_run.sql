-- The current fitted run (the newest succeeded fit of the latest period that has one) and its model file.
SELECT run_id, period, model_path, model_sha256
FROM runs
WHERE status = 'succeeded' AND coalesce(mode, 'fit') = 'fit'
ORDER BY period_start DESC, finished_at DESC, run_id DESC
LIMIT 1;
