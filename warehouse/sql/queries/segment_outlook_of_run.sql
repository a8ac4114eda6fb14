-- A run's segments' mean chance of being active (what a later run's drift compares with).
SELECT segment_id, segment_name, mean_p_active FROM segment_profiles WHERE run_id = $1 AND mean_p_active IS NOT NULL;
