SELECT * FROM current_lineage;
