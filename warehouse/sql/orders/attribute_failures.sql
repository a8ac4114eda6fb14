-- Every attribute value that breaks the contract (the customer table's, without the score), with
-- its line: at most $1 examples per column and check, each row with n_failing for its check and
-- n_lines, how many lines fail in all.
WITH checks AS (
    SELECT 'customer_id' AS column_name, 'not_nullable' AS check_name, customer_id AS failure_case, source_line
    FROM attribute_text WHERE nullif(trim(customer_id), '') IS NULL
    UNION ALL
    SELECT 'customer_id', 'no control characters', customer_id, source_line
    FROM attribute_text WHERE has_control(customer_id)
    UNION ALL
    SELECT 'customer_id', 'field_uniqueness', customer_id, source_line
    FROM attribute_text
    WHERE nullif(trim(customer_id), '') IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY trim(customer_id)) > 1
    UNION ALL
    SELECT 'gender', 'isin([''Female'', ''Male''])', gender, source_line
    FROM attribute_text WHERE nullif(trim(gender), '') IS NOT NULL AND trim(gender) NOT IN ('Female', 'Male')
    UNION ALL
    SELECT 'age', 'is a whole number 1..120', age, source_line
    FROM attribute_text
    WHERE nullif(trim(age), '') IS NOT NULL AND NOT coalesce(as_whole(trim(age)) BETWEEN 1 AND 120, false)
    UNION ALL
    SELECT 'annual_income', 'is a number 0..100000', annual_income, source_line
    FROM attribute_text
    WHERE nullif(trim(annual_income), '') IS NOT NULL
      AND NOT coalesce(as_number(trim(annual_income)) BETWEEN 0 AND 100000, false)
)
SELECT column_name, check_name, failure_case, source_line, n_failing, n_lines
FROM (
    SELECT *, count(*) OVER (PARTITION BY column_name, check_name) AS n_failing,
           count(DISTINCT source_line) OVER () AS n_lines,
           row_number() OVER (PARTITION BY column_name, check_name ORDER BY source_line) AS nth
    FROM checks
)
WHERE nth <= $1
ORDER BY source_line, column_name;
