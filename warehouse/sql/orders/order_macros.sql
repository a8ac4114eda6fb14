-- How order values become typed: ONE definition, read by the one pass that rolls the lines up
-- (order_rollup.sql) and by the failure report (order_failures.sql), so that the two can never
-- disagree on which line is bad (they once did: the pass trimmed only spaces, the report trimmed
-- a no-break space too, and a failing file got an empty report).
--
-- Every value is cast once, in the first stage of order_lines; the checks of the later stages
-- compare the cast values (a column, not the cast again): no regular expression and no second
-- cast per value, because a hundred million lines are read this way.

-- t without ASCII spaces around it, without the copy trim makes of every value (most values of
-- a real export have none; a fifth of the one pass went to trimming them). Only spaces: a
-- no-break space (U+00A0) or another Unicode space beside a value is refused with its line.
CREATE OR REPLACE TEMP MACRO trimmed(t) AS
    CASE WHEN starts_with(t, ' ') OR ends_with(t, ' ') THEN trim(t, ' ') ELSE t END;

-- A number as people write it in an export: digits with an optional sign, decimal point and
-- exponent ('42', ' -4.50 ', '1e3'). Thousands separators ('1,000', '1_000') and currency signs
-- are refused, never guessed: '1,000' is a thousand in one country and one in another. DuckDB's
-- cast reads '1_000' as 1000, so underscores are refused before it. Two stages: the cast
-- (order_number, the first stage of order_lines), then what the cast does not refuse (the next
-- stage; `d` is the cast, a column): inf and nan, and '+-1', which DuckDB reads as -1 (looked for
-- only in numbers up to 0, which are few).
CREATE OR REPLACE TEMP MACRO order_number(t) AS
    CASE WHEN NOT contains(t, '_') THEN TRY_CAST(trimmed(t) AS DOUBLE) END;
CREATE OR REPLACE TEMP MACRO order_value(t, d) AS
    CASE WHEN NOT isfinite(d) THEN NULL WHEN d <= 0 AND contains(t, '+-') THEN NULL ELSE d END;
-- A number written as non-zero that a 64-bit float holds as 0 ('1e-400'): looked for in zeros only.
CREATE OR REPLACE TEMP MACRO number_underflow(t, d) AS
    CASE WHEN d = 0 THEN regexp_matches(t, '^[^eE]*[1-9]') ELSE false END;

-- The bounds of a line's amount (README, "Order histories"): at most 10^15 in size, so that the
-- exact sums (DECIMAL(38, 6): six decimals, 32 digits before the point) hold any hundred
-- million lines; and zero or at least a millionth in size, since six decimals are what is summed
-- (a positive 1e-7 would otherwise be summed as 0 and its customer dropped). A line whose amount
-- is written as non-zero but is 0 as a float (number_underflow) is below a millionth too.
CREATE OR REPLACE TEMP MACRO amount_in_bounds(d) AS abs(d) <= 1e15 AND (d = 0 OR abs(d) >= 1e-6);

-- A date from text in the run's date form: ISO dates and timestamps (DuckDB's cast) when iso,
-- otherwise the strptime formats (the detected or given form, with and without a time). `width`:
-- the exact length of a form without separators (8 for YYYYMMDD, whose strptime would read
-- '2026062' as 2026-06-02), 0 otherwise. A timestamp counts on its written day: an offset
-- ('...T23:30:00-05:00') does not move it (DuckDB's cast keeps the written time).
CREATE OR REPLACE TEMP MACRO order_day(t, iso, formats, width) AS
    CAST(CASE WHEN iso THEN TRY_CAST(trimmed(t) AS TIMESTAMP)
              WHEN width = 0 OR strlen(trimmed(t)) = width THEN try_strptime(trimmed(t), formats) END AS DATE);
-- The dates an order may have (README): a date before 1900 or after 2199 is a mistake in every
-- export we have seen: a two-digit year read as four digits (16/06/26 as the year 26), a signed
-- year (-2026-06-16, 2027 BC to DuckDB), a sentinel such as 9999-12-31.
CREATE OR REPLACE TEMP MACRO date_in_range(d) AS d BETWEEN DATE '1900-01-01' AND DATE '2199-12-31';

-- Text that holds a control character (NUL, tab, CR, ...): refused in IDs.
CREATE OR REPLACE TEMP MACRO has_control(t) AS coalesce(regexp_matches(t, '[\x00-\x1f\x7f]'), false);

-- Every order line typed and checked: `lines` names the view to read (order_values for the one
-- pass, order_text with real line numbers for the report); the rest are constants to DuckDB
-- (bound parameters or variables): iso, formats and width as for order_day; from_price: a line's
-- amount is quantity × unit_price (the file has no amount); skip_anonymous: a line without a
-- customer ID is left out (counted), not refused. A line is bad when any of its bad_* is true;
-- order_failures.sql turns each bad_* into a named check, so a bad line is always reported.
CREATE OR REPLACE TEMP MACRO order_lines(lines, iso, formats, width, from_price, skip_anonymous) AS TABLE
WITH cast_lines AS (
    SELECT
        source_line,
        source_key,
        customer_id AS customer_text,
        order_date AS date_text,
        amount AS amount_text,
        quantity AS quantity_text,
        unit_price AS price_text,
        nullif(trimmed(customer_id), '') AS customer_id,
        nullif(trimmed(order_id), '') AS order_id,
        order_day(order_date, iso, formats, width) AS order_day,
        order_number(amount) AS amount_cast,
        order_number(quantity) AS quantity_cast,
        order_number(unit_price) AS price_cast,
        nullif(trimmed(quantity), '') IS NOT NULL AS has_quantity
    FROM query_table(lines)
),
typed AS (
    SELECT
        * EXCLUDE (order_day, amount_cast, quantity_cast, price_cast),
        CASE WHEN date_in_range(order_day) THEN order_day END AS order_date,
        order_day,
        order_value(amount_text, amount_cast) AS amount_number,
        order_value(quantity_text, quantity_cast) AS quantity_number,
        order_value(price_text, price_cast) AS price_number,
        number_underflow(amount_text, amount_cast) AS amount_underflow,
        number_underflow(quantity_text, quantity_cast) OR number_underflow(price_text, price_cast) AS factor_underflow
    FROM cast_lines
),
priced AS (
    SELECT
        *,
        CASE WHEN from_price THEN quantity_number * price_number ELSE amount_number END AS line_amount,
        CASE WHEN from_price
             THEN factor_underflow OR (quantity_number * price_number = 0 AND quantity_number <> 0 AND price_number <> 0)
             ELSE amount_underflow END AS below_float
    FROM typed
)
SELECT
    *,
    CASE WHEN amount_in_bounds(line_amount) AND NOT below_float THEN line_amount END AS amount,
    customer_id IS NULL AND NOT skip_anonymous AS bad_customer,
    order_date IS NULL AS bad_date,
    NOT coalesce(amount_in_bounds(line_amount) AND NOT below_float, false) AS bad_amount,
    (has_quantity OR from_price) AND quantity_number IS NULL AS bad_quantity,
    from_price AND price_number IS NULL AS bad_price
FROM priced;
