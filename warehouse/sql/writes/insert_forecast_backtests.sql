INSERT INTO forecast_backtests BY NAME SELECT * FROM backtests_df;
