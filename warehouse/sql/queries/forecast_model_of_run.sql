-- The forecast model a run fitted (or used): its parameters' file and checksum, if it has one.
SELECT model_path, model_sha256, fitted_run_id FROM forecast_models WHERE run_id = $1;
