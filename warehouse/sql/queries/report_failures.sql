SELECT column_name, check_name, failure_case, source_line
FROM validation_failures WHERE run_id = $1 ORDER BY source_line NULLS FIRST, column_name;
