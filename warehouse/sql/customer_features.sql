-- Behavioural features per customer as of the period's end, from order_rollup (point in time:
-- orders after $1 = period_end do not exist for this run). The window is the lookback months
-- up to the end: (window_start $2, period_end $1]. A customer is in the period when they placed
-- at least one order with a positive net amount in the window; returns in the window are netted.
--   recency_days     days from the last such order to the period's end (0 = on its last day)
--   frequency        such orders in the window
--   monetary         net spend in the window (returns subtract)
--   avg_order_value  monetary / frequency
--   tenure_days      days from the first order ever seen (up to the end) to the period's end
WITH known AS (
    SELECT * FROM order_rollup WHERE customer_id IS NOT NULL AND order_date <= $1
),
first_seen AS (
    SELECT customer_id, min(order_date) AS first_order FROM known GROUP BY customer_id
),
windowed AS (
    SELECT
        customer_id,
        count(*) FILTER (WHERE amount > 0) AS frequency,
        sum(amount) AS monetary,
        max(order_date) FILTER (WHERE amount > 0) AS last_order
    FROM known
    WHERE order_date > $2
    GROUP BY customer_id
)
SELECT
    w.customer_id,
    date_diff('day', w.last_order, $1::DATE) AS recency_days,
    w.frequency,
    w.monetary,
    w.monetary / w.frequency AS avg_order_value,
    date_diff('day', f.first_order, $1::DATE) AS tenure_days
FROM windowed AS w
JOIN first_seen AS f USING (customer_id)
WHERE w.frequency > 0
ORDER BY w.customer_id;
