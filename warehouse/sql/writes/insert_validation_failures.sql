-- failures_df is a registered DataFrame: run_id, column_name, check_name, failure_case, source_line,
-- source_file, source_key
INSERT INTO validation_failures (run_id, column_name, check_name, failure_case, source_line, source_file, source_key)
SELECT run_id, column_name, check_name, failure_case, source_line, source_file, source_key FROM failures_df;
