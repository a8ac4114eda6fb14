-- Each customer's order history as of the period's end $1 (customer_orders), as BG/NBD and
-- Gamma-Gamma read it: every customer with at least one order of positive net amount up to the end,
-- lapsed beyond the lookback window or not (leaving them out would bias the chance of being active
-- upwards). An order is as the features define it (an order ID, or a customer's lines of one day).
--   repeat_orders       x: such orders after the first
--   days_first_to_last  t_x: days from the first to the last (0 with no repeat order)
--   days_since_first    T: days from the first to the period's end
--   repeat_value        m_x: the mean net amount of the repeat orders (0 with none); the first
--                       order is the earliest, ties broken by the order's key
SELECT
    customer_id,
    count(*) - 1 AS repeat_orders,
    date_diff('day', min(order_date), max(order_date)) AS days_first_to_last,
    date_diff('day', min(order_date), $1::DATE) AS days_since_first,
    CASE WHEN count(*) > 1
         THEN (sum(amount) - min_by(amount, (order_date, order_key))) / (count(*) - 1)
         ELSE 0 END::DOUBLE AS repeat_value
FROM customer_orders
WHERE amount > 0
GROUP BY customer_id
ORDER BY customer_id;
