-- segment_dimension: every segment ID BI has ever seen (in some period's newest run). Join on
-- segment_id: it means the same group over time. Grain: one row per segment_id.
-- Columns:
--   segment_id     INTEGER  the lasting segment ID
--   segment_name   VARCHAR  its name now (its latest period's)
--   first_period   VARCHAR  the earliest period it was seen in
--   last_period    VARCHAR  the latest period it was seen in
--   periods_seen   BIGINT   periods it was seen in
--   status         VARCHAR  'active' (in the current run) or 'retired'
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
