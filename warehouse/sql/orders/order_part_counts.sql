-- What the pass over an order file found: its lines, the lines that break the contract, and the
-- guest lines left out (no customer ID, nothing else wrong; SEGMENT_ANONYMOUS_ORDERS=skip).
SELECT
    sum(lines) AS lines,
    sum(bad_lines) AS bad_lines,
    coalesce(sum(lines) FILTER (WHERE customer_id IS NULL AND bad_lines = 0), 0) AS anonymous_lines
FROM order_parts;
