-- Every value of an order line that breaks the contract, with its line: at most $1 examples per
-- column and check, each row carrying how many values failed that check in all (n_failing) and
-- how many lines fail in all (n_lines). The lines are typed and checked by order_lines
-- (order_macros.sql), as in the one pass: each bad_* flag becomes at least one named check, so
-- every line that pass refused is named here. The failing lines are read once and kept
-- (MATERIALIZED): a stream (PostgreSQL's rows) can be read once, and a file is not read again per
-- check. source_key: a PostgreSQL row's primary key (NULL for files). Variables: as set by tasks/orders.py.
WITH lines AS MATERIALIZED (
    SELECT *
    FROM order_lines(
        'order_text', getvariable('date_iso'), getvariable('date_formats'), getvariable('date_width'),
        getvariable('amount_from_price'), getvariable('skip_anonymous')
    )
    WHERE bad_customer OR bad_date OR bad_amount OR bad_quantity OR bad_price OR has_control(customer_id)
),
checks AS (
    SELECT 'customer_id' AS column_name, 'not_nullable' AS check_name, customer_text AS failure_case, source_line, source_key
    FROM lines WHERE bad_customer
    UNION ALL
    SELECT 'customer_id', 'no control characters', customer_text, source_line, source_key
    FROM lines WHERE has_control(customer_id)
    UNION ALL
    SELECT 'order_date',
           CASE WHEN nullif(trimmed(date_text), '') IS NULL THEN 'not_nullable'
                WHEN order_day IS NULL THEN 'is a date (' || getvariable('date_label') || ')'
                ELSE 'is a date from 1900-01-01 to 2199-12-31' END,
           date_text, source_line, source_key
    FROM lines WHERE bad_date
    UNION ALL
    -- the amount column's own value
    SELECT 'amount',
           CASE WHEN nullif(trimmed(amount_text), '') IS NULL THEN 'not_nullable'
                WHEN amount_number IS NULL THEN 'is a number'
                WHEN abs(amount_number) > 1e15 THEN '|amount| ≤ 1e15'
                ELSE 'zero or |amount| ≥ 0.000001 (a millionth)' END,
           amount_text, source_line, source_key
    FROM lines WHERE bad_amount AND NOT getvariable('amount_from_price')
    UNION ALL
    -- quantity × unit_price, when both are numbers (otherwise their own checks below name them)
    SELECT 'amount',
           CASE WHEN NOT abs(line_amount) <= 1e15 THEN '|quantity × unit_price| ≤ 1e15'
                ELSE 'zero or |quantity × unit_price| ≥ 0.000001 (a millionth)' END,
           quantity_text || ' × ' || price_text, source_line, source_key
    FROM lines
    WHERE bad_amount AND getvariable('amount_from_price') AND quantity_number IS NOT NULL AND price_number IS NOT NULL
    UNION ALL
    SELECT 'quantity', CASE WHEN nullif(trimmed(quantity_text), '') IS NULL THEN 'not_nullable' ELSE 'is a number' END,
           quantity_text, source_line, source_key
    FROM lines WHERE bad_quantity
    UNION ALL
    SELECT 'unit_price', CASE WHEN nullif(trimmed(price_text), '') IS NULL THEN 'not_nullable' ELSE 'is a number' END,
           price_text, source_line, source_key
    FROM lines WHERE bad_price
)
SELECT column_name, check_name, failure_case, source_line, source_key, n_failing, n_lines
FROM (
    SELECT *, count(*) OVER (PARTITION BY column_name, check_name) AS n_failing,
           count(DISTINCT source_line) OVER () AS n_lines,
           row_number() OVER (PARTITION BY column_name, check_name ORDER BY source_line) AS nth
    FROM checks
)
WHERE nth <= $1
ORDER BY source_line, column_name;
