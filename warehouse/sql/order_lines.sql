-- order_lines: every order line typed. customer_id and order_id trimmed (empty = missing);
-- order_date a DATE (a timestamp's day); amount the line's net amount: the amount column, or
-- quantity × unit_price when the file has no amount (variable amount_from_price). A negative
-- amount is a return, netted with the rest. `bad` marks a line that breaks the order contract
-- (order_failures.sql says which value and why).
CREATE OR REPLACE TEMP VIEW order_lines AS
SELECT
    source_line,
    nullif(trim(customer_id), '') AS customer_id,
    nullif(trim(order_id), '') AS order_id,
    order_day(order_date) AS order_date,
    CASE WHEN getvariable('amount_from_price') THEN order_number(quantity) * order_number(unit_price)
         ELSE order_number(amount) END AS amount,
    nullif(trim(customer_id), '') IS NULL
        OR has_control(customer_id)
        OR coalesce(has_control(order_id), false)
        OR order_day(order_date) IS NULL
        OR (CASE WHEN getvariable('amount_from_price') THEN order_number(quantity) * order_number(unit_price)
                 ELSE order_number(amount) END) IS NULL
        OR (nullif(trim(quantity), '') IS NOT NULL AND order_number(quantity) IS NULL) AS bad
FROM order_text;
