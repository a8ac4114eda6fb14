-- raw_df: a registered Arrow table of raw_text_rows.sql
INSERT INTO raw_customers (run_id, source_line, customer_id, gender, age, annual_income, spending_score)
SELECT $1, source_line, customer_id, gender, age, annual_income, spending_score FROM raw_df;
