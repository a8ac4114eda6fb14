INSERT INTO forecast_models BY NAME SELECT * FROM forecast_model_df;
