-- The checksum of the orders a period sees: every order line up to the period's end $1, grouped into
-- parts (one per customer, order and day: single-day orders as they are in `orders`, the others'
-- days from `order_days`), each part hashed (customer, order, day, net amount, lines) and the hashes
-- summed modulo 2^64, as 16 hex digits.
-- A sum does not depend on the order the lines came in, how they were split into files, or whether
-- lines after the end were read at all (a table is filtered on the server, a file read whole): the
-- same orders from a CSV, a folder of exports or PostgreSQL give one checksum, and a rerun on an
-- export that only grew after the period's end gives the same one (its features are the same).
-- A changed customer, order, day or amount, or a line added or removed up to the end, changes it
-- (unless two 64-bit hashes collide). Amounts are exact decimals: '12.5' and '12.50' are one.
-- Parts, not lines: two lines of one order and day that swap amounts leave it (and every feature)
-- as it was. DuckDB's hash() is its own: compare checksums made by one DuckDB version (the run
-- records it beside the checksum).
WITH parts AS (
    SELECT customer_id, order_key, first_date AS order_date, amount, lines
    FROM orders
    WHERE first_date = last_date AND first_date <= $1::DATE
    UNION ALL
    SELECT customer_id, order_key, order_date, amount, lines
    FROM order_days
    WHERE order_date <= $1::DATE
)
SELECT printf(
    '%016x',
    CAST(coalesce(sum(hash(customer_id, order_key, order_date, CAST(amount AS DECIMAL(38, 6)), CAST(lines AS BIGINT))), 0) % 18446744073709551616 AS UBIGINT)
) AS checksum
FROM parts;
