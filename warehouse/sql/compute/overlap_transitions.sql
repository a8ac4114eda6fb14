-- Customers of the reference run (reference_assignments) and of this run's fit (current_assignments),
-- counted by (reference segment, new segment); NULL on a side for customers in one run only.
SELECT r.segment_id AS from_segment, c.segment_id AS to_segment, count(*) AS n_customers
FROM reference_assignments AS r
FULL OUTER JOIN current_assignments AS c ON r.customer_id = c.customer_id
GROUP BY ALL;
