SELECT run_id FROM period_runs WHERE period = ?;
