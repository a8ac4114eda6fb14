-- sample_arrow: a seeded sample of the run's customers with their segment and values.
INSERT INTO customer_sample (run_id, customer_id, segment_id, gender, age, annual_income, spending_score)
SELECT $1, customer_id, segment_id, gender, age, annual_income, spending_score FROM sample_arrow;
