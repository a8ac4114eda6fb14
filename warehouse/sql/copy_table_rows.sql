COPY (SELECT * FROM query_table($1)) TO $2 (FORMAT parquet);
