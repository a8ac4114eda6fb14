INSERT INTO segment_transitions BY NAME SELECT * FROM transitions_df;
