-- What a run's order history held, relative to the period, in one pass over order_rollup: lines
-- read, lines after the period's end $1 (ignored), orders up to the end and in the window
-- (after $2), customers up to the end, and the history's first and last order dates.
SELECT
    sum(lines) AS lines,
    coalesce(sum(lines) FILTER (WHERE customer_id IS NOT NULL AND order_date > $1), 0) AS lines_after_end,
    count(*) FILTER (WHERE customer_id IS NOT NULL AND order_date <= $1) AS orders_to_end,
    count(*) FILTER (WHERE customer_id IS NOT NULL AND order_date > $2 AND order_date <= $1) AS orders_in_window,
    count(DISTINCT customer_id) FILTER (WHERE order_date <= $1) AS customers_to_end,
    min(order_date) FILTER (WHERE customer_id IS NOT NULL) AS first_order_date,
    max(order_date) FILTER (WHERE customer_id IS NOT NULL) AS last_order_date
FROM order_rollup;
