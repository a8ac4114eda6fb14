-- What a run's order history held, relative to its period, in one pass over order_rollup: lines
-- after the period's end (read and ignored), orders in the window, customers who ordered up to
-- the end, and the history's first and last order dates.
SELECT
    sum(lines_after_end) AS lines_after_end,
    count(*) FILTER (WHERE in_window) AS orders_in_window,
    count(DISTINCT customer_id) FILTER (WHERE first_date IS NOT NULL) AS customers_to_end,
    min(first_date) AS first_order_date,
    max(last_date) AS last_order_date
FROM order_rollup
WHERE customer_id IS NOT NULL;
