-- 005_segment_identity: segments keep their ID from period to period. A run's segments are
-- matched to its reference run's (the newest succeeded run of the nearest earlier period) and
-- inherit their IDs; the tables below record the matching, the customers' moves and the drift.

-- runs: how each run relates to its reference, and how k was chosen.
ALTER TABLE runs ADD COLUMN mode VARCHAR;                 -- 'fit' (K-Means fitted) or 'score' (an earlier run's model applied); NULL before 005 (= fit)
ALTER TABLE runs ADD COLUMN model_run_id VARCHAR;         -- score runs: the run whose model assigned the segments
ALTER TABLE runs ADD COLUMN reference_run_id VARCHAR;     -- the run segment IDs, transitions and drift are relative to; NULL for the first run
ALTER TABLE runs ADD COLUMN feature_scaling VARCHAR;      -- JSON: feature -> {mean, scale} of the run's standardisation (the common space for matching)
ALTER TABLE runs ADD COLUMN k_methods VARCHAR;            -- JSON: the k each method prefers (elbow, silhouette, calinski_harabasz, davies_bouldin, stability)
ALTER TABLE runs ADD COLUMN common_customers BIGINT;      -- customers in both this run and its reference
ALTER TABLE runs ADD COLUMN ari_vs_reference DOUBLE;      -- adjusted Rand index between the two runs' segments over the common customers (1 = same partition)
ALTER TABLE runs ADD COLUMN kept_share DOUBLE;            -- share of the common customers whose segment ID did not change
ALTER TABLE runs ADD COLUMN drift_flags INTEGER;          -- how many drift_flags rows the run raised

-- segment_lineage: where each segment of a run comes from. Grain: (run_id, segment_id).
-- One row per segment of the run ('matched' or 'new'), plus one per reference segment that found
-- no successor ('retired', with this run's columns NULL).
CREATE TABLE segment_lineage (
    run_id                 VARCHAR NOT NULL,  -- runs.run_id
    period                 VARCHAR NOT NULL,  -- runs.period
    reference_run_id       VARCHAR,           -- runs.reference_run_id; NULL for a first run
    segment_id             INTEGER NOT NULL,  -- the stable segment ID
    status                 VARCHAR NOT NULL,  -- 'matched' (ID inherited), 'new' (ID issued by this run) or 'retired'
    segment_name           VARCHAR,           -- the name in this run (NULL when retired)
    reference_name         VARCHAR,           -- the name in the reference run (NULL when new)
    n_customers            BIGINT,            -- customers in the segment in this run
    reference_n_customers  BIGINT,            -- customers in the segment in the reference run
    share                  DOUBLE,            -- share of this run's customers
    reference_share        DOUBLE,            -- share of the reference run's customers
    size_change            DOUBLE,            -- share / reference_share - 1 (e.g. 0.25 = a quarter bigger)
    match_distance         DOUBLE,            -- centroid distance to the matched reference segment, in the reference scaling's standard deviations
    centroid_shift         DOUBLE             -- distance between the members' mean feature values in both runs, in the reference scaling's standard deviations
);

-- segment_transitions: how customers moved between the reference run's segments and this run's.
-- Grain: (run_id, from_segment, to_segment). from_segment NULL: customers new in this run;
-- to_segment NULL: customers of the reference run who are not in this one.
CREATE TABLE segment_transitions (
    run_id            VARCHAR NOT NULL,  -- runs.run_id
    period            VARCHAR NOT NULL,  -- runs.period
    reference_run_id  VARCHAR NOT NULL,  -- runs.reference_run_id
    from_segment      INTEGER,           -- segment in the reference run
    to_segment        INTEGER,           -- segment in this run
    n_customers       BIGINT NOT NULL    -- customers who made that move
);

-- drift_flags: what changed enough between the reference run and this run to deserve a look.
-- Grain: one flag. Thresholds are settings (SEGMENT_DRIFT_*), recorded with the run.
CREATE TABLE drift_flags (
    run_id            VARCHAR NOT NULL,  -- runs.run_id
    period            VARCHAR NOT NULL,  -- runs.period
    reference_run_id  VARCHAR,           -- runs.reference_run_id
    segment_id        INTEGER,           -- the segment concerned; NULL for the run as a whole
    flag              VARCHAR NOT NULL,  -- 'size_change', 'centroid_shift', 'new_segment', 'retired_segment', 'low_silhouette'
    value             DOUBLE,            -- the measured value (size change, shift in SDs, silhouette)
    threshold         DOUBLE,            -- the setting it crossed
    reason            VARCHAR NOT NULL   -- the flag in words
);

-- Views: segment_history, segment_dimension, current_transitions, current_lineage and
-- current_drift_flags were added here and run_history gained columns; every view's current
-- definition is in warehouse/views/.
