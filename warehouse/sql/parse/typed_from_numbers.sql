-- The fast path's typed rows (see typed_customers.sql): the numbers are already DOUBLE; `unparsed`
-- marks a row with a number that is not finite, or not whole where it must be.
SELECT
    source_line,
    nullif(trim(customer_id), '') AS customer_id,
    nullif(trim(gender), '') AS gender,
    whole(age) AS age,
    finite(annual_income) AS annual_income,
    whole(spending_score) AS spending_score,
    (age IS NOT NULL AND whole(age) IS NULL)
        OR (annual_income IS NOT NULL AND finite(annual_income) IS NULL)
        OR (spending_score IS NOT NULL AND whole(spending_score) IS NULL) AS unparsed
FROM source_numbers;
