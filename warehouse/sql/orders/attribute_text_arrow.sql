-- attribute_text over a Parquet attributes file read into Arrow (attribute_arrow, text columns).
CREATE OR REPLACE TEMP VIEW attribute_text AS
SELECT * FROM attribute_arrow
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS gender, NULL::VARCHAR AS age,
       NULL::VARCHAR AS annual_income, NULL::BIGINT AS source_line
WHERE false;
