-- The model a period is scored with: the newest succeeded fit of the latest period that ends at or
-- before the scored period's end ($1), never a later one (a backfill sees no model from its future).
SELECT run_id, period, model_path, model_sha256
FROM runs
WHERE status = 'succeeded' AND coalesce(mode, 'fit') = 'fit' AND period_end <= $1
ORDER BY period_start DESC, finished_at DESC, run_id DESC
LIMIT 1;
