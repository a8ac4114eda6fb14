-- order_rollup: one row per order (grain: customer_id, order_key) from the typed lines, in one
-- pass over the file. An order is its order_id, or without one, the customer's lines of one day.
-- Its date is its earliest line's, its amount the net of its lines. Lines that break the
-- contract are kept out and counted in the one `bad_lines` row (customer_id NULL).
CREATE OR REPLACE TEMP TABLE order_rollup AS
SELECT
    CASE WHEN bad THEN NULL ELSE customer_id END AS customer_id,
    CASE WHEN bad THEN NULL ELSE coalesce(order_id, strftime(order_date, '%Y-%m-%d')) END AS order_key,
    min(order_date) AS order_date,
    sum(amount) AS amount,
    count(*) AS lines
FROM order_lines
GROUP BY ALL;
