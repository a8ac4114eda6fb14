-- current_segments: every customer's segment in the current run. Grain: one row per customer_id.
-- Columns:
--   customer_id      VARCHAR  the id as the source wrote it (trimmed)
--   segment_id       INTEGER  the lasting segment ID
--   segment_name     VARCHAR  the segment's name in the run
--   period           VARCHAR  the run's period, '2026Q1' or '2026-03'
--   run_id           VARCHAR  the current run
--   customer_id_int  BIGINT   the id as a BIGINT when its text is a plain integer ('42', or '42.0'
--                             as spreadsheets and Spark write integer keys; not '042', 'C-42' or
--                             '4.2'), else NULL: join integer CRM keys on it
--   period_start     DATE     first day of the period
--   period_end       DATE     last day of the period
CREATE OR REPLACE VIEW current_segments AS
SELECT
    s.customer_id, s.segment_id, s.segment_name, s.period, s.run_id,
    CASE WHEN regexp_full_match(s.customer_id, '-?(0|[1-9][0-9]*)(\.0+)?')
         THEN TRY_CAST(regexp_extract(s.customer_id, '^-?[0-9]+') AS BIGINT) END AS customer_id_int,
    r.period_start,
    r.period_end
FROM customer_segments AS s
JOIN current_run AS r ON s.run_id = r.run_id;
