SELECT * FROM current_transitions;
