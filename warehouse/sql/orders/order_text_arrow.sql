-- order_text over order rows streamed as Arrow (order_arrow): a Parquet file's (or folder's)
-- contract columns as text with their row and file, or PostgreSQL's rows (segmentation/postgres.py:
-- text, and order_date a DATE where the table types it, written here as ISO text; with source_line
-- and source_key, the row's primary key, when the reader numbers them). A stream can be read once:
-- tasks/orders.py registers a fresh one for each statement that reads these views.
CREATE OR REPLACE TEMP VIEW order_text AS
SELECT * REPLACE (CAST(order_date AS VARCHAR) AS order_date) FROM order_arrow
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price, NULL::BIGINT AS source_line,
       NULL::VARCHAR AS source_key
WHERE false;

CREATE OR REPLACE TEMP VIEW order_values AS SELECT * FROM order_text;
