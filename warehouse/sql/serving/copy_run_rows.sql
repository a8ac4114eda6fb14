-- One run's rows of a table named by the warehouse catalog, written as Parquet to $3.
COPY (SELECT * FROM query_table($1) WHERE run_id = $2) TO $3 (FORMAT parquet);
