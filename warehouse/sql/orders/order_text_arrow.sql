-- order_text over a Parquet order file read into Arrow (order_arrow, contract columns as text).
CREATE OR REPLACE TEMP VIEW order_text AS
SELECT * FROM order_arrow
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price, NULL::BIGINT AS source_line
WHERE false;

CREATE OR REPLACE TEMP VIEW order_values AS SELECT * FROM order_text;
