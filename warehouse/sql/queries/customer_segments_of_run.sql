-- One run's assignment: customer_id, segment_id (for matching segments by their customers).
SELECT customer_id, segment_id FROM customer_segments WHERE run_id = $1;
