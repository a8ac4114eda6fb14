SELECT segment_id, gender, age, annual_income, spending_score FROM customer_sample WHERE run_id = $1;
