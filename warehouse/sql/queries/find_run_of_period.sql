-- A period's current run, else its newest run whatever its outcome.
SELECT run_id FROM runs WHERE period = $1 ORDER BY status = 'succeeded' DESC, finished_at DESC NULLS LAST LIMIT 1;
