INSERT INTO customer_forecasts BY NAME SELECT $1 AS run_id, $2 AS period, * FROM customer_forecasts_arrow;
