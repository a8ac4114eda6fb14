SELECT * FROM segment_dimension;
