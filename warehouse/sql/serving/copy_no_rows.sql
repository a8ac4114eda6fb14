-- A table's columns and types, without rows, written as Parquet to $2.
COPY (SELECT * FROM query_table($1) LIMIT 0) TO $2 (FORMAT parquet);
