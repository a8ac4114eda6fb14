-- orders (grain: customer, order) and order_days (grain: customer, order, day; only orders whose
-- lines fall on more than one day), made once from order_parts for every period that reads them.
-- An order's date is its earliest line's, its amount the net of its lines (a negative amount is a
-- return). A period sees an order as of its end: only its lines up to then (customer_orders.sql),
-- so an order whose lines span the period's end is read from order_days; every other order as it is.
CREATE OR REPLACE TABLE orders AS
SELECT
    customer_id,
    order_key,
    min(order_date) AS first_date,
    max(order_date) AS last_date,
    sum(amount) AS amount,
    CAST(sum(lines) AS INTEGER) AS lines
FROM order_parts
WHERE customer_id IS NOT NULL
GROUP BY customer_id, order_key;

CREATE OR REPLACE TABLE order_days AS
SELECT p.customer_id, p.order_key, p.order_date, p.amount, p.lines, o.first_date, o.last_date
FROM order_parts AS p
JOIN orders AS o USING (customer_id, order_key)
WHERE o.first_date < o.last_date;

DROP TABLE order_parts;
