INSERT INTO segment_profiles BY NAME SELECT * FROM profiles_df;
