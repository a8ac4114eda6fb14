-- features_arrow: an order-history run's customers with their behavioural features.
INSERT INTO customer_features BY NAME
SELECT $1 AS run_id, $2 AS period, customer_id, recency_days, frequency, monetary, avg_order_value, tenure_days
FROM features_arrow;
