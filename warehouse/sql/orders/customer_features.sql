-- Behavioural features per customer as of the period's end $1, from customer_orders (the orders as
-- of that end: later lines do not exist for the run). The lookback window is ($2, $1]. A customer
-- is in the period when they placed at least one order with a positive net amount in the window;
-- returns in the window are netted.
--   recency_days     days from the last such order to the period's end (0 = on its last day)
--   frequency        such orders in the window
--   monetary         net spend in the window (returns subtract)
--   avg_order_value  monetary / frequency
--   tenure_days      days from the first order ever seen (up to the end) to the period's end
SELECT
    customer_id,
    date_diff('day', max(order_date) FILTER (WHERE in_window AND amount > 0), $1::DATE) AS recency_days,
    count(*) FILTER (WHERE in_window AND amount > 0) AS frequency,
    CAST(sum(amount) FILTER (WHERE in_window) AS DOUBLE) AS monetary,
    CAST(sum(amount) FILTER (WHERE in_window) AS DOUBLE)
        / count(*) FILTER (WHERE in_window AND amount > 0) AS avg_order_value,
    date_diff('day', min(order_date), $1::DATE) AS tenure_days
FROM (SELECT *, order_date > $2::DATE AS in_window FROM customer_orders)
GROUP BY customer_id
HAVING count(*) FILTER (WHERE in_window AND amount > 0) > 0
ORDER BY customer_id;
