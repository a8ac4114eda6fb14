-- current_transitions: the current run's migration matrix, how customers moved since its
-- compared run (the earlier period's), with both segments' names. Grain: one row per (from_segment, to_segment).
-- Columns:
--   period  as in `segment_transitions`
--   reference_period  VARCHAR  the period of the compared run (the earlier period's run)
--   from_segment  as in `segment_transitions`
--   from_name  VARCHAR  the name of from_segment in the compared run
--   to_segment  as in `segment_transitions`
--   to_name  VARCHAR  the name of to_segment in this run
--   n_customers  as in `segment_transitions`
--   share_of_from  DOUBLE  n_customers / all customers of from_segment: the share of the segment then
--                          that moved to to_segment
CREATE OR REPLACE VIEW current_transitions AS
SELECT
    t.period,
    ref.period AS reference_period,
    t.from_segment,
    fp.segment_name AS from_name,
    t.to_segment,
    tp.segment_name AS to_name,
    t.n_customers,
    t.n_customers / sum(t.n_customers) OVER (PARTITION BY t.from_segment) AS share_of_from
FROM segment_transitions AS t
JOIN current_run AS r ON t.run_id = r.run_id
LEFT JOIN runs AS ref ON t.compared_run_id = ref.run_id
LEFT JOIN segment_profiles AS fp ON fp.run_id = t.compared_run_id AND fp.segment_id = t.from_segment
LEFT JOIN segment_profiles AS tp ON tp.run_id = t.run_id AND tp.segment_id = t.to_segment;
