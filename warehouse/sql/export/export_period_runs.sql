SELECT * FROM period_runs;
