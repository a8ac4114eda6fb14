-- failures_df is a registered DataFrame: run_id, column_name, check_name, failure_case, source_line
INSERT INTO validation_failures (run_id, column_name, check_name, failure_case, source_line)
SELECT run_id, column_name, check_name, failure_case, source_line FROM failures_df;
