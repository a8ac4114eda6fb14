-- A run named by its id or a unique start of it.
SELECT run_id FROM runs WHERE starts_with(run_id, $1) ORDER BY started_at DESC LIMIT 2;
