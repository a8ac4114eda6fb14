-- order_parts: every line of the order file in one pass, typed, checked and rolled up once for
-- every period that will read it (grain: customer, order, day): a backfill reads the export once.
-- The lines are typed and checked by order_lines (order_macros.sql), the definition the failure
-- report reads too. Each value is parsed once; everything that varies is a bound parameter (a
-- constant to DuckDB: a hundred million lines are parsed this way):
--   $1 ISO dates (DuckDB's cast) or not, $2 the strptime forms otherwise, $3 the exact length of a
--   form without separators (0: any), $4 amount = quantity × unit_price, $5 lines without a
--   customer ID (guest orders) are left out (counted) rather than refused.
-- An order is its order_id, or without one, the customer's lines of one day. A row with a line that
-- breaks the contract has customer_id NULL and counts its bad_lines: such a file fails the run, and
-- order_failures.sql names every value by line. Left-out guest lines are the rows with customer_id
-- NULL and no bad line. orders.sql then makes the orders of the parts.
CREATE OR REPLACE TABLE order_parts AS
WITH checked AS (
    SELECT
        customer_id,
        order_id,
        order_date,
        amount,
        bad_customer OR bad_date OR bad_amount OR bad_quantity OR bad_price AS bad
    FROM order_lines('order_values', $1, $2, $3, $4, $5)
)
SELECT
    CASE WHEN bool_or(bad) THEN NULL ELSE customer_id END AS customer_id,
    -- The order's key as a 64-bit hash, not as text (tens of millions of orders are grouped; two
    -- orders of one customer colliding is a one-in-10^18 event).
    hash(coalesce(order_id, strftime(order_date, '%Y-%m-%d'))) AS order_key,
    order_date,
    -- Summed as decimals: exact, so the same file gives the same features however DuckDB's
    -- threads split the lines (double sums differ in their last bits from run to run). Each line
    -- is rounded to six decimals; its bounds (order_macros.sql) keep every sum inside the type.
    sum(CAST(amount AS DECIMAL(38, 6))) AS amount,
    CAST(count(*) AS INTEGER) AS lines,
    CAST(count(*) FILTER (WHERE bad) AS INTEGER) AS bad_lines
FROM checked
GROUP BY customer_id, order_key, order_date;
