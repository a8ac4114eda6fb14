SELECT source_line, customer_id, gender, age, annual_income, spending_score
FROM raw_customers
WHERE run_id = ?
ORDER BY source_line;
