INSERT INTO k_selection BY NAME SELECT * FROM k_table_df;
