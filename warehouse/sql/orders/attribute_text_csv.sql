-- attribute_text: a customer attributes file's columns as text, with their line (header = line 1),
-- read as every CSV is (parse/csv_macros.sql); attributes the file lacks are NULL.
CREATE OR REPLACE TEMP VIEW attribute_text AS
SELECT * FROM csv_numbered_rows()
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS gender, NULL::VARCHAR AS age,
       NULL::VARCHAR AS annual_income, NULL::BIGINT AS source_line
WHERE false;
