-- The columns of a served table, in the warehouse's order, with their SQL types.
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1
ORDER BY column_index;
