-- A failed run keeps how many source rows were read before it failed (its kept raw rows; NULL
-- when SEGMENT_RAW_RETENTION=none or the file could not be read), so `show` and reports say so.
UPDATE runs
SET status = 'failed',
    finished_at = $1,
    duration_s = date_diff('millisecond', started_at, $1) / 1000.0,
    error = $2,
    n_rows = coalesce(n_rows, (SELECT nullif(count(*), 0) FROM raw_customers WHERE run_id = $3))
WHERE run_id = $3;
