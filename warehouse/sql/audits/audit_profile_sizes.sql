-- Audit: every profile's size equals the customers assigned to it, and every segment has one.
WITH assigned AS (
    SELECT segment_id, count(*) AS n
    FROM customer_segments
    WHERE run_id = $1
    GROUP BY segment_id
),
profiled AS (
    SELECT segment_id, n_customers FROM segment_profiles WHERE run_id = $1
)
SELECT coalesce(p.segment_id, a.segment_id) AS segment_id, p.n_customers, a.n
FROM profiled AS p
FULL OUTER JOIN assigned AS a ON p.segment_id = a.segment_id
WHERE p.n_customers IS DISTINCT FROM a.n;
