-- Orders whose customer or order ID holds a control character: checked once per order, not once
-- per line (a regular expression over a hundred million lines costs seconds).
SELECT count(*) FROM order_rollup WHERE has_control(customer_id) OR has_control(order_key);
