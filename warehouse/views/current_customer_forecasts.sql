-- current_customer_forecasts: the current run's forecast of every customer it saw (order histories;
-- empty for a customer table). Grain: one row per customer_id.
-- Columns:
--   customer_id           VARCHAR  as in customer_segments
--   segment_id            INTEGER  the customer's segment; NULL: lapsed beyond the window, not segmented
--   segment_name          VARCHAR  the segment's name in the run
--   period                VARCHAR  the run's period
--   period_start          DATE     first day of the period
--   period_end            DATE     last day of the period
--   p_active              DOUBLE   chance the customer is still a customer at the period's end
--   expected_orders       DOUBLE   orders expected in the next period
--   expected_orders_12m   DOUBLE   orders expected in the next 12 months
--   expected_order_value  DOUBLE   value of one future order
--   expected_value        DOUBLE   value expected in the next period
--   expected_value_12m    DOUBLE   value expected in the next 12 months (12-month CLV, undiscounted)
--   at_risk               BOOLEAN  valuable but slipping away
--   repeat_orders         BIGINT   orders after the first, up to the period's end
--   days_first_to_last    BIGINT   days from the first order to the last
--   days_since_first      BIGINT   days from the first order to the period's end
--   run_id                VARCHAR  the current run
CREATE OR REPLACE VIEW current_customer_forecasts AS
SELECT f.customer_id, f.segment_id, p.segment_name, f.period, r.period_start, r.period_end,
       f.p_active, f.expected_orders, f.expected_orders_12m, f.expected_order_value, f.expected_value,
       f.expected_value_12m, f.at_risk, f.repeat_orders, f.days_first_to_last, f.days_since_first, f.run_id
FROM customer_forecasts AS f
JOIN current_run AS r ON f.run_id = r.run_id
LEFT JOIN segment_profiles AS p ON p.run_id = f.run_id AND p.segment_id = f.segment_id;
