SELECT segment_id, segment_name FROM segment_profiles WHERE run_id = $1;
