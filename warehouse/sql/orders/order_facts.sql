-- What the order history held relative to a period ending $1 and its window (window_orders): lines after
-- the end (read and ignored), orders in the window, customers who ordered up to the end, the first
-- and last order date up to the end, and the last order date of the whole history (a history that
-- ends before the period does measures recency to a day after its data).
SELECT
    (SELECT coalesce(sum(lines), 0) FROM orders WHERE first_date > $1::DATE)
        + (SELECT coalesce(sum(lines), 0) FROM order_days WHERE order_date > $1::DATE AND first_date <= $1::DATE)
        AS lines_after_end,
    (SELECT count(*) FROM window_orders) AS orders_in_window,
    count(DISTINCT customer_id) AS customers_to_end,
    min(order_date) AS first_order_date,
    max(order_date) AS last_order_date,
    (SELECT max(last_date) FROM orders) AS history_ends
FROM customer_orders;
