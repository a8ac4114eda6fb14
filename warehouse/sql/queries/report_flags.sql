SELECT segment_id, flag, value, threshold, reason FROM drift_flags WHERE run_id = $1 ORDER BY segment_id NULLS FIRST, flag;
