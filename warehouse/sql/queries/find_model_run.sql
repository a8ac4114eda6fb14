-- A succeeded fitted run's model file: (run_id, period, model_path, model_sha256, period_end).
SELECT run_id, period, model_path, model_sha256, period_end
FROM runs
WHERE run_id = $1 AND status = 'succeeded' AND coalesce(mode, 'fit') = 'fit';
