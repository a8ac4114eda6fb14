-- One run's rows of a table named by the warehouse catalog (query_table takes the name as a parameter).
SELECT * FROM query_table($1) WHERE run_id = $2;
