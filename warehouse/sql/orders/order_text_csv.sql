-- order_text: an order file's columns as text, with their line (the header is line 1), read as
-- every CSV is (parse/csv_macros.sql). Every column of the order contract is there; optional ones
-- the file lacks are NULL.
-- order_values: the same with source_line NULL, for the one pass that reads every line (numbering
-- the rows makes DuckDB read the file in order, at half the speed); only a failed file's report,
-- which names lines, reads order_text. Both are typed by order_lines (order_macros.sql).
CREATE OR REPLACE TEMP VIEW order_text AS
SELECT * FROM csv_numbered_rows()
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price, NULL::BIGINT AS source_line,
       NULL::VARCHAR AS source_key
WHERE false;

CREATE OR REPLACE TEMP VIEW order_values AS
SELECT *, NULL::BIGINT AS source_line FROM csv_rows()
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price, NULL::BIGINT AS source_line,
       NULL::VARCHAR AS source_key
WHERE false;
