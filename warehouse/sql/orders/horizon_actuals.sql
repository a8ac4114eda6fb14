-- What each customer did in a forecast's horizon ($1, end], with customer_orders as of the horizon's
-- end: their orders with a positive net amount, and the net amount of those orders (what BG/NBD and
-- Gamma-Gamma forecast). Customers without such an order are not listed (they did 0).
SELECT customer_id, count(*) AS orders, CAST(sum(amount) AS DOUBLE) AS value
FROM customer_orders
WHERE amount > 0 AND order_date > $1::DATE
GROUP BY customer_id;
