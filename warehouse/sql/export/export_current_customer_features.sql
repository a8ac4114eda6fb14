SELECT * FROM current_customer_features;
