INSERT INTO segment_lineage BY NAME SELECT * FROM lineage_df;
