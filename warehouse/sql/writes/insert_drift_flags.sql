INSERT INTO drift_flags BY NAME SELECT * FROM flags_df;
