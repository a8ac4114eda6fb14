SELECT * FROM current_run;
