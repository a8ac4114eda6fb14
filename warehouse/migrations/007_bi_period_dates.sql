-- 007_bi_period_dates: the per-customer views carry their period's dates, the time axis BI tools
-- use (a period label such as '2026Q1' sorts, but does not plot as a date). New columns last.

-- current_segments: every customer's segment in the current run. Grain: customer_id.
CREATE OR REPLACE VIEW current_segments AS
SELECT
    s.customer_id, s.segment_id, s.segment_name, s.period, s.run_id,
    CASE WHEN CAST(TRY_CAST(s.customer_id AS BIGINT) AS VARCHAR) = s.customer_id
         THEN TRY_CAST(s.customer_id AS BIGINT) END AS customer_id_int,
    r.period_start,  -- first day of the period
    r.period_end     -- last day of the period
FROM customer_segments AS s
JOIN current_run AS r ON s.run_id = r.run_id;

-- period_segments: every customer's segment in the newest succeeded run of each period.
-- Grain: (period, customer_id).
CREATE OR REPLACE VIEW period_segments AS
SELECT
    s.period, s.customer_id, s.segment_id, s.segment_name, s.run_id,
    CASE WHEN CAST(TRY_CAST(s.customer_id AS BIGINT) AS VARCHAR) = s.customer_id
         THEN TRY_CAST(s.customer_id AS BIGINT) END AS customer_id_int,
    r.period_start,  -- first day of the period
    r.period_end     -- last day of the period
FROM customer_segments AS s
JOIN period_runs AS r ON s.run_id = r.run_id;
