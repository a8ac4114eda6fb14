-- forecast_accuracy: how every forecast did, period by period: predicted against actual orders and
-- value, over all the forecast's customers (segment_id NULL) and per segment of the forecast run.
-- Each forecast's newest measurement (a rerun measures again). Grain: one row per (forecast_run_id,
-- horizon, segment_id).
-- Columns:
--   forecast_period, horizon, horizon_start, horizon_end, segment_id  as in `forecast_backtests`
--   segment_name  as in `segment_profiles`
--   customers, predicted_orders, actual_orders  as in `forecast_backtests`
--   orders_error  DOUBLE  predicted_orders / actual_orders − 1 (0.10: the forecast expected 10 % too many orders)
--   predicted_value, actual_value  as in `forecast_backtests`
--   value_error  DOUBLE  predicted_value / actual_value − 1
--   forecast_run_id, run_id, period  as in `forecast_backtests`
CREATE OR REPLACE VIEW forecast_accuracy AS
SELECT b.forecast_period, b.horizon, b.horizon_start, b.horizon_end, b.segment_id, p.segment_name,
       b.customers, b.predicted_orders, b.actual_orders,
       b.predicted_orders / nullif(b.actual_orders, 0) - 1 AS orders_error,
       b.predicted_value, b.actual_value,
       b.predicted_value / nullif(b.actual_value, 0) - 1 AS value_error,
       b.forecast_run_id, b.run_id, b.period
FROM forecast_backtests AS b
JOIN runs AS m ON m.run_id = b.run_id AND m.status = 'succeeded'
LEFT JOIN segment_profiles AS p ON p.run_id = b.forecast_run_id AND p.segment_id = b.segment_id
QUALIFY row_number() OVER (
    PARTITION BY b.forecast_run_id, b.horizon, b.segment_id ORDER BY m.finished_at DESC, b.run_id DESC
) = 1;
