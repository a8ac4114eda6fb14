-- The current run's forecast of every customer, for segment export.
SELECT * FROM current_customer_forecasts;
