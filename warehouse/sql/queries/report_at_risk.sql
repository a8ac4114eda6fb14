-- A run's customers at risk (valuable but slipping away), the most valuable first: at most $2.
SELECT f.customer_id, f.segment_id, p.segment_name, f.p_active, f.expected_value_12m,
       f.expected_value_12m / greatest(f.p_active, 1e-12) AS value_if_active, f.repeat_orders
FROM customer_forecasts AS f
LEFT JOIN segment_profiles AS p ON p.run_id = f.run_id AND p.segment_id = f.segment_id
WHERE f.run_id = $1 AND f.at_risk
ORDER BY value_if_active DESC, f.customer_id
LIMIT $2;
