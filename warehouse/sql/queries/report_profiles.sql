SELECT * FROM segment_profiles WHERE run_id = $1 ORDER BY segment_id;
