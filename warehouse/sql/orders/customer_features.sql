-- Behavioural features per customer as of the period's end $1, from order_rollup (built for this
-- period: its window rows are the orders of (window start, $1]; orders after $1 do not exist for
-- the run). A customer is in the period when they placed at least one order with a positive net
-- amount in the window; returns in the window are netted.
--   recency_days     days from the last such order to the period's end (0 = on its last day)
--   frequency        such orders in the window
--   monetary         net spend in the window (returns subtract)
--   avg_order_value  monetary / frequency
--   tenure_days      days from the first order ever seen (up to the end) to the period's end
SELECT
    customer_id,
    date_diff('day', max(first_date) FILTER (WHERE in_window AND amount > 0), $1::DATE) AS recency_days,
    count(*) FILTER (WHERE in_window AND amount > 0) AS frequency,
    CAST(sum(amount) FILTER (WHERE in_window) AS DOUBLE) AS monetary,
    CAST(sum(amount) FILTER (WHERE in_window) AS DOUBLE)
        / count(*) FILTER (WHERE in_window AND amount > 0) AS avg_order_value,
    date_diff('day', min(first_date), $1::DATE) AS tenure_days
FROM order_rollup
WHERE customer_id IS NOT NULL
GROUP BY customer_id
HAVING count(*) FILTER (WHERE in_window AND amount > 0) > 0
ORDER BY customer_id;
