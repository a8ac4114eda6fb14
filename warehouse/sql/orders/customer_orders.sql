-- customer_orders: the orders as of the period's end getvariable('period_end'): each order's
-- lines up to then (later lines do not exist for the run), its date its earliest such line's and
-- its amount their net. Orders whose lines all fall by the end are read as they are; the few whose
-- lines span the end are summed again from their days.
CREATE OR REPLACE TEMP VIEW customer_orders AS
SELECT customer_id, order_key, first_date AS order_date, amount
FROM orders
WHERE last_date <= getvariable('period_end')
UNION ALL
SELECT customer_id, order_key, min(order_date) AS order_date, sum(amount) AS amount
FROM order_days
WHERE last_date > getvariable('period_end') AND order_date <= getvariable('period_end')
GROUP BY customer_id, order_key;

-- window_orders: the orders of the lookback window (getvariable('window_start'), period_end]: an
-- order is its lines in the window (an order whose lines span the window's start is the part
-- inside it), its date their earliest, its amount their net. One-day orders are read as they are.
CREATE OR REPLACE TEMP VIEW window_orders AS
SELECT customer_id, order_key, first_date AS order_date, amount
FROM orders
WHERE first_date = last_date
  AND first_date > getvariable('window_start') AND first_date <= getvariable('period_end')
UNION ALL
SELECT customer_id, order_key, min(order_date) AS order_date, sum(amount) AS amount
FROM order_days
WHERE order_date > getvariable('window_start') AND order_date <= getvariable('period_end')
GROUP BY customer_id, order_key;
