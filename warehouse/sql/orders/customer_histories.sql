-- Each customer's order history as of the period's end $1 (customer_orders), as BG/NBD and
-- Gamma-Gamma read it: every customer with at least one order of positive net amount up to the end,
-- lapsed beyond the lookback window or not (leaving them out would bias the chance of being active
-- upwards). An order is as the features define it (an order ID, or a customer's lines of one day).
--   repeat_orders       x: such orders after the first
--   days_first_to_last  t_x: days from the first to the last (0 with no repeat order)
--   days_since_first    T: days from the first to the period's end
--   repeat_value        m_x: the mean net amount of the repeat orders (0 with none); the first
--                       order is the earliest, ties broken by the order's key: one HUGEINT,
--                       days since 1900 × 2^64 + the key (a UBIGINT), which orders as (date, key)
--                       do; a fixed-size key keeps min_by's state small enough to spill (a
--                       (date, key) struct ran out of memory at 10M customers)
SELECT
    customer_id,
    count(*) - 1 AS repeat_orders,
    date_diff('day', min(order_date), max(order_date)) AS days_first_to_last,
    date_diff('day', min(order_date), $1::DATE) AS days_since_first,
    CASE WHEN count(*) > 1
         THEN (sum(amount) - min_by(amount, CAST(date_diff('day', DATE '1900-01-01', order_date) AS HUGEINT)
                                            * 18446744073709551616 + order_key)) / (count(*) - 1)
         ELSE 0 END::DOUBLE AS repeat_value
FROM customer_orders
WHERE amount > 0
GROUP BY customer_id
ORDER BY customer_id;
