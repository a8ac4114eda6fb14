-- (run_id, k) of a period's newest succeeded run, if any.
SELECT run_id, k FROM period_runs WHERE period = ?;
