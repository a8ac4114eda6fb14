SELECT
    segment_id, segment_name, n_customers, share,
    centroid_age, centroid_annual_income, centroid_spending_score,
    mean_age, mean_annual_income, mean_spending_score, share_female, share_male,
    centroid_recency_days, centroid_frequency, centroid_monetary, centroid_avg_order_value, centroid_tenure_days,
    mean_recency_days, mean_frequency, mean_monetary, mean_avg_order_value, mean_tenure_days
FROM segment_profiles
WHERE run_id = $1
ORDER BY segment_id;
