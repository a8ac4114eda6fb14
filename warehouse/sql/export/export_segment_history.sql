SELECT * FROM segment_history;
