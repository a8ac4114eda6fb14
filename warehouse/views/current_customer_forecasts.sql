-- current_customer_forecasts: the current run's forecast of every customer it saw (order histories;
-- empty for a customer table). Grain: one row per customer_id.
-- Columns:
--   customer_id, segment_id  as in `customer_forecasts`
--   segment_name  as in `segment_profiles`
--   period  as in `customer_forecasts`
--   period_start, period_end  as in `runs`
--   p_active, expected_orders, expected_orders_12m, expected_order_value, expected_value  as in `customer_forecasts`
--   expected_value_12m, at_risk, repeat_orders, days_first_to_last, days_since_first, run_id  as in `customer_forecasts`
CREATE OR REPLACE VIEW current_customer_forecasts AS
SELECT f.customer_id, f.segment_id, p.segment_name, f.period, r.period_start, r.period_end,
       f.p_active, f.expected_orders, f.expected_orders_12m, f.expected_order_value, f.expected_value,
       f.expected_value_12m, f.at_risk, f.repeat_orders, f.days_first_to_last, f.days_since_first, f.run_id
FROM customer_forecasts AS f
JOIN current_run AS r ON f.run_id = r.run_id
LEFT JOIN segment_profiles AS p ON p.run_id = f.run_id AND p.segment_id = f.segment_id;
