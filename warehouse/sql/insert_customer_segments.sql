INSERT INTO customer_segments (run_id, period, customer_id, segment_id, segment_name)
SELECT run_id, period, customer_id, segment_id, segment_name FROM assignments_df;
