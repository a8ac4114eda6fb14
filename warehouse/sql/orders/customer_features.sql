-- Behavioural features per customer as of the period's end $1, from window_orders (the orders of
-- the lookback window, up to $1) and customer_orders (every order up to $1: later lines do not
-- exist for the run). A customer is in the period when they placed at least one order with a
-- positive net amount in the window; returns in the window are netted.
--   recency_days     days from the last such order to the period's end (0 = on its last day)
--   frequency        such orders in the window
--   monetary         net spend in the window (returns subtract)
--   avg_order_value  monetary / frequency
--   tenure_days      days from the first order ever seen (up to the end) to the period's end
WITH windowed AS (
    SELECT
        customer_id,
        date_diff('day', max(order_date) FILTER (WHERE amount > 0), $1::DATE) AS recency_days,
        count(*) FILTER (WHERE amount > 0) AS frequency,
        CAST(sum(amount) AS DOUBLE) AS monetary
    FROM window_orders
    GROUP BY customer_id
    HAVING count(*) FILTER (WHERE amount > 0) > 0
),
first_seen AS (
    SELECT customer_id, min(order_date) AS first_date FROM customer_orders GROUP BY customer_id
)
SELECT
    w.customer_id,
    w.recency_days,
    w.frequency,
    w.monetary,
    w.monetary / w.frequency AS avg_order_value,
    date_diff('day', f.first_date, $1::DATE) AS tenure_days
FROM windowed AS w
JOIN first_seen AS f USING (customer_id)
ORDER BY w.customer_id;
