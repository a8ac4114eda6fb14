-- A run's transitions with the segments' names then and now.
SELECT t.from_segment, fp.segment_name AS from_name, t.to_segment, tp.segment_name AS to_name, t.n_customers
FROM segment_transitions AS t
LEFT JOIN segment_profiles AS fp ON fp.run_id = t.compared_run_id AND fp.segment_id = t.from_segment
LEFT JOIN segment_profiles AS tp ON tp.run_id = t.run_id AND tp.segment_id = t.to_segment
WHERE t.run_id = $1
ORDER BY t.from_segment NULLS FIRST, t.to_segment NULLS FIRST;
