-- segment_dimension: every segment ID BI has ever seen (in some period's newest run). Join on
-- segment_id: it means the same group over time. Grain: one row per segment_id.
-- Columns:
--   segment_id  as in `segment_profiles`
--   segment_name  VARCHAR  its name now: the name in the latest period it was seen
--   first_period  VARCHAR  the first period whose newest run had this segment
--   last_period   VARCHAR  the latest period whose newest run had this segment
--   periods_seen  BIGINT   in how many periods' newest runs the segment appears
--   status        VARCHAR  `active` in the current run, else `retired`
CREATE OR REPLACE VIEW segment_dimension AS
SELECT
    h.segment_id,
    arg_max(h.segment_name, h.period_start) AS segment_name,
    arg_min(h.period, h.period_start) AS first_period,
    arg_max(h.period, h.period_start) AS last_period,
    count(*) AS periods_seen,
    CASE WHEN h.segment_id IN (SELECT segment_id FROM current_profiles) THEN 'active' ELSE 'retired' END AS status
FROM segment_history AS h
GROUP BY h.segment_id;
