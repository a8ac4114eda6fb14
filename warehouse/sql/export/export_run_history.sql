SELECT * FROM run_history;
