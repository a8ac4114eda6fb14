-- Is a table keyed by run (one Parquet file per run on the BI surface)? `runs` itself is not.
SELECT count(*) > 0
FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = $1 AND column_name = 'run_id' AND table_name <> 'runs';
