-- A run's plotting sample: segment and every feature column (NULL where the run had none).
SELECT * EXCLUDE (run_id, customer_id) FROM customer_sample WHERE run_id = $1;
