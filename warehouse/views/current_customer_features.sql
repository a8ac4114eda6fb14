-- current_customer_features: the current run's customers with their segment and behavioural
-- features, why each is where they are. Empty when the current run segmented a customer table.
-- Grain: one row per customer_id.
-- Columns:
--   customer_id  as in `customer_features`
--   segment_id, segment_name  as in `customer_segments`
--   period  as in `customer_features`
--   period_start, period_end  as in `runs`
--   recency_days, frequency, monetary, avg_order_value, tenure_days, run_id  as in `customer_features`
CREATE OR REPLACE VIEW current_customer_features AS
SELECT f.customer_id, s.segment_id, s.segment_name, f.period, r.period_start, r.period_end,
       f.recency_days, f.frequency, f.monetary, f.avg_order_value, f.tenure_days, f.run_id
FROM customer_features AS f
JOIN current_run AS r ON f.run_id = r.run_id
JOIN customer_segments AS s ON s.run_id = f.run_id AND s.customer_id = f.customer_id;
