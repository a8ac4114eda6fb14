-- The warehouse's own views, as their DDL: the BI surface creates the same ones over its Parquet.
SELECT view_name, sql
FROM duckdb_views()
WHERE NOT internal AND database_name = current_database() AND schema_name = 'main'
ORDER BY view_oid;
