-- How the forecasts of periods up to $1 (a run's period end) did over all their customers, as later
-- runs measured them: the next-period horizon, each forecast's newest measurement, in period order.
SELECT a.forecast_period, a.horizon_end, a.customers, a.predicted_orders, a.actual_orders, a.orders_error,
       a.predicted_value, a.actual_value, a.value_error, a.forecast_run_id
FROM forecast_accuracy AS a
WHERE a.segment_id IS NULL AND a.horizon = 'next period' AND a.horizon_end <= $1::DATE
ORDER BY a.horizon_end;
