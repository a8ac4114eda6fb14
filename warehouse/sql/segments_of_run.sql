SELECT
    segment_id, segment_name, n_customers, share,
    centroid_age, centroid_annual_income, centroid_spending_score,
    mean_age, mean_annual_income, mean_spending_score
FROM segment_profiles
WHERE run_id = $1
ORDER BY segment_id;
