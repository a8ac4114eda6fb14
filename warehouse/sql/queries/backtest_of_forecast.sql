-- One forecast ($1: its run, $2: its horizon) against what happened (horizon_actuals: customer_id,
-- orders, value): over every customer it covered (segment_id NULL), then per segment of that run.
WITH covered AS (
    SELECT f.segment_id,
           CASE WHEN $2 = 'next period' THEN f.expected_orders ELSE f.expected_orders_12m END AS predicted_orders,
           CASE WHEN $2 = 'next period' THEN f.expected_value ELSE f.expected_value_12m END AS predicted_value,
           coalesce(a.orders, 0) AS actual_orders,
           coalesce(a.value, 0) AS actual_value
    FROM customer_forecasts AS f
    LEFT JOIN horizon_actuals AS a USING (customer_id)
    WHERE f.run_id = $1
)
SELECT NULL::INTEGER AS segment_id, count(*) AS customers, sum(predicted_orders) AS predicted_orders,
       sum(actual_orders) AS actual_orders, sum(predicted_value) AS predicted_value, sum(actual_value) AS actual_value
FROM covered
UNION ALL
SELECT segment_id, count(*), sum(predicted_orders), sum(actual_orders), sum(predicted_value), sum(actual_value)
FROM covered
WHERE segment_id IS NOT NULL
GROUP BY segment_id
ORDER BY segment_id NULLS FIRST;
