-- 002_bi_views: the views BI tools should query. "Current" is the newest succeeded run of the
-- latest period: a backfill of an older period never replaces it; a rerun of the latest does.

-- period_runs: the newest succeeded run of every period. Grain: period.
CREATE VIEW period_runs AS
SELECT *
FROM runs
WHERE status = 'succeeded'
QUALIFY row_number() OVER (PARTITION BY period ORDER BY finished_at DESC, run_id DESC) = 1;

-- current_run: the one run BI dashboards show. Grain: at most one row.
CREATE VIEW current_run AS
SELECT *
FROM period_runs
ORDER BY period_start DESC, finished_at DESC
LIMIT 1;

-- current_segments: every customer's segment in the current run. Grain: customer_id.
CREATE VIEW current_segments AS
SELECT s.customer_id, s.segment_id, s.segment_name, s.period, s.run_id
FROM customer_segments AS s
JOIN current_run AS r ON s.run_id = r.run_id;

-- current_profiles: the segments of the current run. Grain: segment_id.
CREATE VIEW current_profiles AS
SELECT p.*
FROM segment_profiles AS p
JOIN current_run AS r ON p.run_id = r.run_id;

-- period_segments: every customer's segment in the newest succeeded run of each period.
-- Grain: (period, customer_id). For trends and "who moved segment" queries.
CREATE VIEW period_segments AS
SELECT s.period, s.customer_id, s.segment_id, s.segment_name, s.run_id
FROM customer_segments AS s
JOIN period_runs AS r ON s.run_id = r.run_id;

-- run_history: every run, newest first, with what a person checks first. Grain: run_id.
CREATE VIEW run_history AS
SELECT
    run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
    silhouette, source_path, error,
    run_id = (SELECT run_id FROM current_run) AS is_current
FROM runs
ORDER BY started_at DESC;
