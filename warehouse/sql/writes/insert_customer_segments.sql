-- assignments_arrow: customer_id (text), segment_id and segment_name (dictionary-encoded) per customer.
INSERT INTO customer_segments (run_id, period, customer_id, segment_id, segment_name)
SELECT $1, $2, customer_id, segment_id, segment_name FROM assignments_arrow;
