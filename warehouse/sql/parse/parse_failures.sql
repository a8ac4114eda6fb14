-- Every value that is not a number (or not a whole number where one is required), with its line.
SELECT column_name, check_name, failure_case, source_line
FROM (
    SELECT
        column_name,
        CASE column_name WHEN 'annual_income' THEN 'is a number' ELSE 'is a whole number' END AS check_name,
        failure_case,
        source_line
    FROM (
        UNPIVOT (
            SELECT source_line, trim(age) AS age, trim(annual_income) AS annual_income,
                   trim(spending_score) AS spending_score
            FROM source_rows
        )
        ON age, annual_income, spending_score
        INTO NAME column_name VALUE failure_case
    )
)
WHERE failure_case <> ''
  AND CASE column_name WHEN 'annual_income' THEN as_number(failure_case) ELSE as_whole(failure_case) END IS NULL
ORDER BY source_line, column_name;
