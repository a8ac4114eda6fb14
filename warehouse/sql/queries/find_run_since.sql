-- The newest run of a period started at or after a moment: the run a backfill just made, failed or not.
SELECT run_id FROM runs WHERE period = $1 AND started_at >= $2 ORDER BY started_at DESC, run_id DESC LIMIT 1;
