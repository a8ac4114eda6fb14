SELECT * FROM query_table($1);
