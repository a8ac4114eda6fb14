-- segment_history: every segment in the newest succeeded run of each period: its name, size and
-- centres per period. Grain: one row per (segment_id, period).
-- Columns:
--   segment_id, period  as in `segment_profiles`
--   period_start  as in `runs`
--   run_id, segment_name, n_customers, share  as in `segment_profiles`
--   centroid_age, centroid_annual_income, centroid_spending_score  as in `segment_profiles`
--   mean_age, mean_annual_income, mean_spending_score  as in `segment_profiles`
--   centroid_recency_days, centroid_frequency, centroid_monetary  as in `segment_profiles`
--   centroid_avg_order_value, centroid_tenure_days  as in `segment_profiles`
CREATE OR REPLACE VIEW segment_history AS
SELECT
    p.segment_id, p.period, r.period_start, p.run_id, p.segment_name, p.n_customers, p.share,
    p.centroid_age, p.centroid_annual_income, p.centroid_spending_score,
    p.mean_age, p.mean_annual_income, p.mean_spending_score,
    p.centroid_recency_days, p.centroid_frequency, p.centroid_monetary,
    p.centroid_avg_order_value, p.centroid_tenure_days
FROM segment_profiles AS p
JOIN period_runs AS r ON p.run_id = r.run_id;
