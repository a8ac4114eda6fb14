-- The forecasts a run of the period ($1 start, $2 end) measures: the current run of every earlier
-- period with a forecast, per horizon whose end has come by $2, unless a succeeded run measured it
-- already (a horizon that ends in this period is measured again, so a rerun of it measures too).
WITH horizons AS (
    SELECT f.run_id AS forecast_run_id, f.period AS forecast_period, 'next period' AS horizon,
           r.period_end AS horizon_start, r.period_end + f.horizon_days AS horizon_end
    FROM forecast_models AS f JOIN period_runs AS r USING (run_id)
    UNION ALL
    SELECT f.run_id, f.period, '12 months', r.period_end, r.period_end + f.horizon_12m_days
    FROM forecast_models AS f JOIN period_runs AS r USING (run_id)
)
SELECT h.forecast_run_id, h.forecast_period, h.horizon, h.horizon_start, h.horizon_end
FROM horizons AS h
WHERE h.horizon_end <= $2::DATE
  AND (h.horizon_end >= $1::DATE OR NOT EXISTS (
        SELECT 1 FROM forecast_backtests AS b JOIN runs AS m ON m.run_id = b.run_id AND m.status = 'succeeded'
        WHERE b.forecast_run_id = h.forecast_run_id AND b.horizon = h.horizon))
ORDER BY h.horizon_end, h.forecast_period, h.horizon;
