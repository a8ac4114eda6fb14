INSERT INTO runs (
    run_id, period, period_start, period_end, status, started_at, source_path, source_given,
    features, settings, flow_run_id
)
VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10);
