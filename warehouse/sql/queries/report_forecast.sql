-- A run's forecast model, if it has one.
SELECT * FROM forecast_models WHERE run_id = $1;
