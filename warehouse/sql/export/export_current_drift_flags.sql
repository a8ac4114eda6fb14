SELECT * FROM current_drift_flags;
