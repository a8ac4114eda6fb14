SELECT * FROM period_segments;
