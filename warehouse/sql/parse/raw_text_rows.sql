-- The source rows as text, for raw_customers (kept per SEGMENT_RAW_RETENTION).
SELECT source_line, customer_id, gender, age, annual_income, spending_score FROM source_rows;
