-- The attributes typed (empty = missing): one row per customer.
SELECT
    trim(customer_id) AS customer_id,
    nullif(trim(gender), '') AS gender,
    as_whole(trim(age)) AS age,
    as_number(trim(annual_income)) AS annual_income
FROM attribute_text;
