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

-- segment_history: every segment in the newest succeeded run of each period: its name, size and
-- centroid per period. Grain: (segment_id, period).
CREATE VIEW segment_history AS
SELECT
    p.segment_id, p.period, r.period_start, p.run_id, p.segment_name, p.n_customers, p.share,
    p.centroid_age, p.centroid_annual_income, p.centroid_spending_score,
    p.mean_age, p.mean_annual_income, p.mean_spending_score
FROM segment_profiles AS p
JOIN period_runs AS r ON p.run_id = r.run_id;

-- segment_dimension: one row per segment ID BI has ever seen (in some period's newest run): the
-- name it has now (its latest period's), when it was first and last seen, and whether it is in
-- the current run. Grain: segment_id. Join on segment_id: it means the same group over time.
CREATE VIEW segment_dimension AS
SELECT
    h.segment_id,
    arg_max(h.segment_name, h.period_start) AS segment_name,
    arg_min(h.period, h.period_start) AS first_period,
    arg_max(h.period, h.period_start) AS last_period,
    count(*) AS periods_seen,
    CASE WHEN h.segment_id IN (SELECT segment_id FROM current_profiles) THEN 'active' ELSE 'retired' END AS status
FROM segment_history AS h
GROUP BY h.segment_id;

-- current_transitions: the current run's migration matrix, with names. Grain: (from_segment, to_segment).
CREATE VIEW current_transitions AS
SELECT
    t.period,
    ref.period AS reference_period,
    t.from_segment,
    fp.segment_name AS from_name,
    t.to_segment,
    tp.segment_name AS to_name,
    t.n_customers,
    t.n_customers / sum(t.n_customers) OVER (PARTITION BY t.from_segment) AS share_of_from
FROM segment_transitions AS t
JOIN current_run AS r ON t.run_id = r.run_id
LEFT JOIN runs AS ref ON t.reference_run_id = ref.run_id
LEFT JOIN segment_profiles AS fp ON fp.run_id = t.reference_run_id AND fp.segment_id = t.from_segment
LEFT JOIN segment_profiles AS tp ON tp.run_id = t.run_id AND tp.segment_id = t.to_segment;

-- current_lineage: the current run's segments next to the reference run's. Grain: segment_id.
CREATE VIEW current_lineage AS
SELECT l.*
FROM segment_lineage AS l
JOIN current_run AS r ON l.run_id = r.run_id;

-- current_drift_flags: what drifted in the current run. Grain: one flag.
CREATE VIEW current_drift_flags AS
SELECT f.*
FROM drift_flags AS f
JOIN current_run AS r ON f.run_id = r.run_id;

-- run_history gains how each run relates to the one before (new columns last).
CREATE OR REPLACE VIEW run_history AS
SELECT
    run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
    silhouette, source_path, error,
    run_id = (SELECT run_id FROM current_run) AS is_current,
    mode, model_run_id, reference_run_id, ari_vs_reference, kept_share, drift_flags
FROM runs
ORDER BY started_at DESC;
