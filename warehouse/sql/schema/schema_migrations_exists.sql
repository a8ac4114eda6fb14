-- Has this warehouse been migrated at all?
SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 'schema_migrations';
