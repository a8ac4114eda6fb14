-- What a run's order history held, relative to the period: lines read, lines after the period's
-- end (ignored), orders and customers up to the end, and customers seen before the window only.
SELECT
    (SELECT sum(lines) FROM order_rollup) AS lines,
    (SELECT coalesce(sum(lines), 0) FROM order_rollup WHERE customer_id IS NOT NULL AND order_date > $1) AS lines_after_end,
    (SELECT count(*) FROM order_rollup WHERE customer_id IS NOT NULL AND order_date <= $1) AS orders_to_end,
    (SELECT count(*) FROM order_rollup WHERE customer_id IS NOT NULL AND order_date > $2 AND order_date <= $1) AS orders_in_window,
    (SELECT count(DISTINCT customer_id) FROM order_rollup WHERE customer_id IS NOT NULL AND order_date <= $1) AS customers_to_end,
    (SELECT min(order_date) FROM order_rollup WHERE customer_id IS NOT NULL) AS first_order_date,
    (SELECT max(order_date) FROM order_rollup WHERE customer_id IS NOT NULL) AS last_order_date;
