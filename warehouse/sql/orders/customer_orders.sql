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
