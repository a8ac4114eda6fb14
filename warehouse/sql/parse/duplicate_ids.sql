-- The input contract's unique customer ids: every row whose id another row has too.
-- typed_rows: the typed source rows (source_line, customer_id, ...).
WITH repeated AS (
    SELECT customer_id FROM typed_rows WHERE customer_id IS NOT NULL GROUP BY customer_id HAVING count(*) > 1
)
SELECT 'customer_id' AS column_name, 'field_uniqueness' AS check_name, customer_id AS failure_case, source_line
FROM typed_rows
SEMI JOIN repeated USING (customer_id)
ORDER BY source_line;
