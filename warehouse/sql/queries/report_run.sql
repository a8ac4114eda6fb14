-- One run with what a report says about it first.
SELECT
    r.*,
    r.run_id = (SELECT run_id FROM current_run) AS is_current,
    ref.period AS reference_period,
    model.period AS model_period
FROM runs AS r
LEFT JOIN runs AS ref ON ref.run_id = r.reference_run_id
LEFT JOIN runs AS model ON model.run_id = r.model_run_id
WHERE r.run_id = $1;
