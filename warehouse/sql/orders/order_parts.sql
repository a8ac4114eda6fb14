-- order_parts: every line of the order file in one pass, typed, checked and rolled up once for
-- every period that will read it (grain: customer, order, day): a backfill reads the export once.
-- Each value is parsed once; everything that varies is a bound parameter (a constant to DuckDB:
-- a hundred million lines are parsed this way):
--   $1 ISO dates (DuckDB's cast) or not, $2 the strptime forms otherwise, $3 amount = quantity × unit_price,
--   $4 lines without a customer ID (guest orders) are left out (counted) rather than refused.
-- customer_id and order_id are trimmed (empty = missing); order_date is a DATE (a timestamp's
-- day); a line's amount is the amount column, or quantity × unit_price when the file has none.
-- Numbers are digits with an optional sign, decimal point and exponent, spaces around them
-- trimmed; '1_000' (which DuckDB's cast would read as 1000) and '1,000' are refused, never guessed.
-- An order is its order_id, or without one, the customer's lines of one day. A row with a line that
-- breaks the contract has customer_id NULL and counts its bad_lines: such a file fails the run, and
-- order_failures.sql names every value by line. Left-out guest lines are the rows with customer_id
-- NULL and no bad line. orders.sql then makes the orders of the parts.
CREATE OR REPLACE TABLE order_parts AS
WITH cast_lines AS (
    SELECT
        nullif(trimmed(customer_id), '') AS customer_id,
        nullif(trimmed(order_id), '') AS order_id,
        CAST(CASE WHEN $1 THEN TRY_CAST(trimmed(order_date) AS TIMESTAMP)
                  ELSE try_strptime(trimmed(order_date), $2) END AS DATE) AS order_date,
        CASE WHEN NOT contains(amount, '_') THEN TRY_CAST(trimmed(amount) AS DOUBLE) END AS amount_cast,
        CASE WHEN NOT contains(quantity, '_') THEN TRY_CAST(trimmed(quantity) AS DOUBLE) END AS quantity_cast,
        CASE WHEN NOT contains(unit_price, '_') THEN TRY_CAST(trimmed(unit_price) AS DOUBLE) END AS price_cast,
        nullif(trimmed(quantity), '') IS NOT NULL AS has_quantity
    FROM order_values
),
typed AS (
    SELECT
        customer_id,
        order_id,
        order_date,
        CASE WHEN isfinite(amount_cast) THEN amount_cast END AS amount_value,
        CASE WHEN isfinite(quantity_cast) THEN quantity_cast END AS quantity_value,
        CASE WHEN isfinite(price_cast) THEN price_cast END AS price_value,
        has_quantity
    FROM cast_lines
),
lines AS (
    SELECT
        customer_id,
        order_id,
        order_date,
        CASE WHEN $3 THEN quantity_value * price_value ELSE amount_value END AS amount,
        has_quantity AND quantity_value IS NULL AS bad_quantity
    FROM typed
),
checked AS (
    SELECT *, (customer_id IS NULL AND NOT $4) OR order_date IS NULL OR amount IS NULL OR bad_quantity AS bad
    FROM lines
)
SELECT
    CASE WHEN bool_or(bad) THEN NULL ELSE customer_id END AS customer_id,
    -- The order's key as a 64-bit hash, not as text (tens of millions of orders are grouped; two
    -- orders of one customer colliding is a one-in-10^18 event).
    hash(coalesce(order_id, strftime(order_date, '%Y-%m-%d'))) AS order_key,
    order_date,
    -- Summed as decimals: exact, so the same file gives the same features however DuckDB's
    -- threads split the lines (double sums differ in their last bits from run to run).
    sum(CAST(amount AS DECIMAL(38, 6))) AS amount,
    CAST(count(*) AS INTEGER) AS lines,
    CAST(count(*) FILTER (WHERE bad) AS INTEGER) AS bad_lines
FROM checked
GROUP BY customer_id, order_key, order_date;
