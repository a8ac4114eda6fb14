-- Customers of the reference run ($1) and of this run (current_assignments: customer_id,
-- segment_id), by the move they made. A NULL from_segment: new in this run; a NULL to_segment:
-- gone from this run.
SELECT r.segment_id AS from_segment, c.segment_id AS to_segment, count(*) AS n_customers
FROM (SELECT customer_id, segment_id FROM customer_segments WHERE run_id = $1) AS r
FULL OUTER JOIN current_assignments AS c ON r.customer_id = c.customer_id
GROUP BY ALL
ORDER BY ALL;
