SELECT * FROM customer_features;
