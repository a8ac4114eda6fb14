-- source_numbers: a customer table's contract columns with the numbers read as DOUBLE by the CSV
-- reader itself (the fast path: one pass, no text copies; reader_columns types them). Any value the
-- reader cannot convert fails the whole read, and ingest reads the file as text instead
-- (source_csv.sql), which reports every such value with its line.
CREATE OR REPLACE TEMP VIEW source_numbers AS
SELECT source_line, customer_id, gender, age, annual_income, spending_score
FROM csv_numbered_rows();
