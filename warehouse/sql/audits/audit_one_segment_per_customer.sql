-- Audit: the run assigned a segment to each of its $2 validated customers, and to no one else.
-- Customer ids are unique by the input contract and assignments are built one per validated
-- row, so the count proves "exactly one each" without grouping millions of ids again.
SELECT 'customers assigned' AS what, count(*) AS n, $2 AS expected
FROM customer_segments
WHERE run_id = $1
HAVING count(*) <> $2;
