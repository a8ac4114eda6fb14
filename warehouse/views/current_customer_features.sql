-- current_customer_features: the current run's customers with their segment and behavioural
-- features, why each is where they are. Empty when the current run segmented a customer table.
-- Grain: one row per customer_id.
-- Columns:
--   customer_id      VARCHAR  as in customer_segments
--   segment_id       INTEGER  the lasting segment ID
--   segment_name     VARCHAR  the segment's name in the run
--   period           VARCHAR  the run's period
--   period_start     DATE     first day of the period
--   period_end       DATE     last day of the period
--   recency_days     BIGINT   days from the customer's last order to the period's end
--   frequency        BIGINT   orders in the window
--   monetary         DOUBLE   net spend in the window (returns subtract)
--   avg_order_value  DOUBLE   monetary / frequency
--   tenure_days      BIGINT   days from the customer's first order to the period's end
--   run_id           VARCHAR  the current run
CREATE OR REPLACE VIEW current_customer_features AS
SELECT f.customer_id, s.segment_id, s.segment_name, f.period, r.period_start, r.period_end,
       f.recency_days, f.frequency, f.monetary, f.avg_order_value, f.tenure_days, f.run_id
FROM customer_features AS f
JOIN current_run AS r ON f.run_id = r.run_id
JOIN customer_segments AS s ON s.run_id = f.run_id AND s.customer_id = f.customer_id;
