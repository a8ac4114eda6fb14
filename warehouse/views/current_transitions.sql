-- current_transitions: the current run's migration matrix, how customers moved since its
-- compared run (the earlier period's), with both segments' names. Grain: one row per (from_segment, to_segment).
-- Columns:
--   period            VARCHAR  the current run's period
--   reference_period  VARCHAR  the compared run's period
--   from_segment      INTEGER  segment in the reference run; NULL: customers new in this run
--   from_name         VARCHAR  its name in the reference run
--   to_segment        INTEGER  segment in this run; NULL: customers no longer in the data
--   to_name           VARCHAR  its name in this run
--   n_customers       BIGINT   customers who made that move
--   share_of_from     DOUBLE   n_customers / all customers of from_segment
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
