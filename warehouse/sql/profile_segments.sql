-- Per segment: size, share, mean and median of every profiled column, gender mix.
-- customers_arrow: the validated customers with their segment_id.
SELECT
    segment_id,
    count(*) AS n_customers,
    count(*) / sum(count(*)) OVER () AS share,
    avg(age) AS mean_age,
    median(age) AS median_age,
    avg(annual_income) AS mean_annual_income,
    median(annual_income) AS median_annual_income,
    avg(spending_score) AS mean_spending_score,
    median(spending_score) AS median_spending_score,
    avg(CAST(gender = 'Female' AS DOUBLE)) AS share_female,
    avg(CAST(gender = 'Male' AS DOUBLE)) AS share_male
FROM customers_arrow
GROUP BY segment_id
ORDER BY segment_id;
