-- Up to $1 distinct non-empty order dates as written, for detecting the date format.
SELECT DISTINCT trim(order_date) AS order_date
FROM (SELECT order_date FROM order_text WHERE nullif(trim(order_date), '') IS NOT NULL LIMIT $1);
