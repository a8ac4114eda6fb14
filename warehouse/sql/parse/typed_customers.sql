-- The source rows typed for validation: text trimmed (empty = missing), numbers parsed with the
-- parse macros (NULL where the text is not a number or not a whole one). `unparsed` marks a row
-- with such text; parse_failures.sql then lists each value.
SELECT
    source_line,
    nullif(trim(customer_id), '') AS customer_id,
    nullif(trim(gender), '') AS gender,
    as_whole(trim(age)) AS age,
    as_number(trim(annual_income)) AS annual_income,
    as_whole(trim(spending_score)) AS spending_score,
    (nullif(trim(age), '') IS NOT NULL AND as_whole(trim(age)) IS NULL)
        OR (nullif(trim(annual_income), '') IS NOT NULL AND as_number(trim(annual_income)) IS NULL)
        OR (nullif(trim(spending_score), '') IS NOT NULL AND as_whole(trim(spending_score)) IS NULL) AS unparsed
FROM source_rows;
