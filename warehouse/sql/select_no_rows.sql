-- A table's columns and types, without rows.
SELECT * FROM query_table($1) LIMIT 0;
