-- Audit: a run's forecast is whole. Its model's customers each have one forecast row, every
-- chance of being active is in [0, 1] and every expectation finite and >= 0, and every forecast
-- row names a segment the run has (or none). Returns the bad rows (none when all is well).
-- Customer IDs are unique by construction (customer_histories.sql groups by them, and the rows are
-- built one per history), so the count proves "one row each" without grouping millions of IDs
-- again: a count(DISTINCT) over ten million uncommitted rows ran out of the warehouse's memory.
SELECT 'customers' AS problem, m.customers AS expected, count(f.customer_id) AS found
FROM forecast_models AS m LEFT JOIN customer_forecasts AS f USING (run_id)
WHERE m.run_id = $1
GROUP BY m.customers
HAVING m.customers <> count(f.customer_id)
UNION ALL
SELECT 'values', NULL, count(*)
FROM customer_forecasts
WHERE run_id = $1
  AND NOT (p_active BETWEEN 0 AND 1 AND isfinite(expected_orders) AND expected_orders >= 0
           AND isfinite(expected_orders_12m) AND expected_orders_12m >= expected_orders - 1e-9
           AND coalesce(isfinite(expected_value_12m) AND expected_value_12m >= 0, true))
HAVING count(*) > 0
UNION ALL
SELECT 'segments', NULL, count(*)
FROM customer_forecasts AS f
WHERE f.run_id = $1 AND f.segment_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM segment_profiles AS p WHERE p.run_id = f.run_id AND p.segment_id = f.segment_id)
HAVING count(*) > 0;
