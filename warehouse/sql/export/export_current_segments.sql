SELECT * FROM current_segments;
