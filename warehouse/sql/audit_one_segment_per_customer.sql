-- Audit: every customer ingested by the run has exactly one segment, and no one else has any.
-- Returns the offending customer ids with their segment count.
WITH raw AS (
    SELECT TRY_CAST(trim(customer_id) AS BIGINT) AS customer_id
    FROM raw_customers
    WHERE run_id = $1
),
assigned AS (
    SELECT customer_id, count(*) AS n
    FROM customer_segments
    WHERE run_id = $1
    GROUP BY customer_id
)
SELECT coalesce(raw.customer_id, assigned.customer_id) AS customer_id, coalesce(assigned.n, 0) AS n
FROM raw
FULL OUTER JOIN assigned ON raw.customer_id = assigned.customer_id
WHERE raw.customer_id IS NULL OR assigned.n IS NULL OR assigned.n != 1;
