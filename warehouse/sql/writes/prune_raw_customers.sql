-- SEGMENT_RAW_RETENTION: drop the source rows of succeeded runs, and of failed runs too unless
-- $1 (keep failed runs' rows). Runs from before the retention setting are pruned the same way.
DELETE FROM raw_customers
WHERE run_id IN (SELECT run_id FROM runs WHERE status = 'succeeded' OR (status = 'failed' AND NOT $1));
