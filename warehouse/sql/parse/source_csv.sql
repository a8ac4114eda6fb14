-- source_rows: a customer table's contract columns as text, with their line (the header is line 1),
-- read as every CSV is (parse/csv_macros.sql).
CREATE OR REPLACE TEMP VIEW source_rows AS
SELECT source_line, customer_id, gender, age, annual_income, spending_score
FROM csv_numbered_rows();
