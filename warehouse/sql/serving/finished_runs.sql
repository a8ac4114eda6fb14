-- Runs whose outcome is final: their rows never change again.
SELECT run_id FROM runs WHERE status <> 'running' ORDER BY started_at, run_id;
