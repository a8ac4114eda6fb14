-- Runs still 'running' when a new run holds the writer lock died without finishing.
UPDATE runs
SET status = 'failed',
    finished_at = $1,
    duration_s = date_diff('millisecond', started_at, $1) / 1000.0,
    error = $2
WHERE status = 'running'
RETURNING run_id;
