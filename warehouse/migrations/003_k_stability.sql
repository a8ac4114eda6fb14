-- 003_k_stability: how reproducible each candidate k is. Grain of k_selection unchanged: (run_id, k).
-- stability: mean adjusted Rand index between the candidate's labels and refits on seeded
-- subsamples (1 = the same partition every time, about 0 = no better than chance); NULL for runs
-- before this migration or when resampling is turned off (SEGMENT_STABILITY_RESAMPLES=0).
ALTER TABLE k_selection ADD COLUMN stability DOUBLE;
