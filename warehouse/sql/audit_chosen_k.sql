-- Audit: the run row is succeeded and its k is the one chosen k of its k table and its profile count.
SELECT r.run_id, r.status, r.k,
       (SELECT count(*) FROM k_selection WHERE run_id = $1 AND chosen) AS chosen_rows,
       (SELECT any_value(k) FROM k_selection WHERE run_id = $1 AND chosen) AS chosen_k,
       (SELECT count(*) FROM segment_profiles WHERE run_id = $1) AS segments
FROM runs AS r
WHERE r.run_id = $1
  AND NOT (r.status = 'succeeded' AND chosen_rows = 1 AND chosen_k = r.k AND segments = r.k);
