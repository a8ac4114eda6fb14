-- period_segments: every customer's segment in the newest succeeded run of each period, for
-- trends and "who moved segment" queries. Grain: one row per (period, customer_id).
-- Columns:
--   period           VARCHAR  '2026Q1' (quarter) or '2026-03' (month)
--   customer_id      VARCHAR  the id as the source wrote it (trimmed)
--   segment_id       INTEGER  the lasting segment ID
--   segment_name     VARCHAR  the segment's name in that period's run
--   run_id           VARCHAR  the period's newest succeeded run
--   customer_id_int  BIGINT   the id as a BIGINT when its text is a plain integer ('42' or '42.0'), else NULL
--   period_start     DATE     first day of the period
--   period_end       DATE     last day of the period
CREATE OR REPLACE VIEW period_segments AS
SELECT
    s.period, s.customer_id, s.segment_id, s.segment_name, s.run_id,
    CASE WHEN regexp_full_match(s.customer_id, '-?(0|[1-9][0-9]*)(\.0+)?')
         THEN TRY_CAST(regexp_extract(s.customer_id, '^-?[0-9]+') AS BIGINT) END AS customer_id_int,
    r.period_start,
    r.period_end
FROM customer_segments AS s
JOIN period_runs AS r ON s.run_id = r.run_id;
