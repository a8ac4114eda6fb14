SELECT count(*) FROM raw_customers WHERE run_id = ?;
