SELECT * FROM current_profiles;
