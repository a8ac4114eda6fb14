-- Per segment: size, share, and the mean of every profiled column (profiled_arrow: segment_id
-- and the run's numeric columns; the result's columns keep their names).
SELECT
    segment_id,
    count(*) AS n_customers,
    count(*) / sum(count(*)) OVER () AS share,
    avg(COLUMNS(* EXCLUDE (segment_id)))
FROM profiled_arrow
GROUP BY segment_id
ORDER BY segment_id;
