-- Tables the BI surface serves: all but the raw source rows and the migration log. `runs` first.
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'main' AND table_type = 'BASE TABLE'
  AND table_name NOT IN ('raw_customers', 'schema_migrations')
ORDER BY table_name <> 'runs', table_name;
