-- The period's current run (newest succeeded) and the reference it was matched to.
SELECT run_id, reference_run_id FROM period_runs WHERE period = $1;
