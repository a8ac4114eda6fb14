-- sample_arrow: a seeded sample of the run's customers with their segment and values.
INSERT INTO customer_sample BY NAME SELECT $1 AS run_id, * FROM sample_arrow;
