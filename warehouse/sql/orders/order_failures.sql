-- Every value of an order line that breaks the contract, with its line: at most $1 examples per
-- column and check, each row carrying how many values failed that check in all (n_failing).
WITH checks AS (
    SELECT 'customer_id' AS column_name, 'not_nullable' AS check_name, customer_id AS failure_case, source_line
    FROM order_text WHERE nullif(trim(customer_id), '') IS NULL AND NOT getvariable('skip_anonymous')
    UNION ALL
    SELECT 'customer_id', 'no control characters', customer_id, source_line
    FROM order_text WHERE has_control(customer_id)
    UNION ALL
    SELECT 'order_date', CASE WHEN nullif(trim(order_date), '') IS NULL THEN 'not_nullable'
                              ELSE 'is a date (' || getvariable('date_label') || ')' END, order_date, source_line
    FROM order_text WHERE order_day(order_date) IS NULL
    UNION ALL
    SELECT 'amount', CASE WHEN nullif(trim(amount), '') IS NULL THEN 'not_nullable' ELSE 'is a number' END,
           amount, source_line
    FROM order_text WHERE NOT getvariable('amount_from_price') AND order_number(amount) IS NULL
    UNION ALL
    SELECT 'quantity', CASE WHEN nullif(trim(quantity), '') IS NULL THEN 'not_nullable' ELSE 'is a number' END,
           quantity, source_line
    FROM order_text
    WHERE order_number(quantity) IS NULL
      AND (getvariable('amount_from_price') OR nullif(trim(quantity), '') IS NOT NULL)
    UNION ALL
    SELECT 'unit_price', CASE WHEN nullif(trim(unit_price), '') IS NULL THEN 'not_nullable' ELSE 'is a number' END,
           unit_price, source_line
    FROM order_text WHERE getvariable('amount_from_price') AND order_number(unit_price) IS NULL
)
SELECT column_name, check_name, failure_case, source_line, n_failing
FROM (
    SELECT *, count(*) OVER (PARTITION BY column_name, check_name) AS n_failing,
           row_number() OVER (PARTITION BY column_name, check_name ORDER BY source_line) AS nth
    FROM checks
)
WHERE nth <= $1
ORDER BY source_line, column_name;
