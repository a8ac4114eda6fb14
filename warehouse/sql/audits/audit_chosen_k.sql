-- Audit: the run row is succeeded and its k is its profile count; a fitted run has exactly one
-- chosen k equal to it, a scored run none and the run whose model it used.
SELECT r.run_id, r.status, r.k, r.mode,
       (SELECT count(*) FROM k_selection WHERE run_id = $1 AND chosen) AS chosen_rows,
       (SELECT any_value(k) FROM k_selection WHERE run_id = $1 AND chosen) AS chosen_k,
       (SELECT count(*) FROM segment_profiles WHERE run_id = $1) AS segments
FROM runs AS r
WHERE r.run_id = $1
  AND NOT (
      r.status = 'succeeded' AND segments = r.k
      AND CASE WHEN r.mode = 'score' THEN chosen_rows = 0 AND r.model_run_id IS NOT NULL
               ELSE chosen_rows = 1 AND chosen_k = r.k END
  );
