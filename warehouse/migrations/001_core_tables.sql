-- 001_core_tables: the pipeline's tables. Every run adds rows; nothing is updated except the
-- run's own row in `runs` (running -> succeeded | failed). All timestamps are UTC.

-- runs: one row per pipeline run, whatever its outcome. Grain: run_id.
CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,  -- uuid4 of the run; also the Prefect flow run's name suffix
    period            VARCHAR NOT NULL,     -- segmented period: '2026Q1' (quarter) or '2026-03' (month)
    period_start      DATE NOT NULL,        -- first day of the period
    period_end        DATE NOT NULL,        -- last day of the period
    status            VARCHAR NOT NULL,     -- 'running', 'succeeded' or 'failed'
    started_at        TIMESTAMP NOT NULL,   -- when the run row was written
    finished_at       TIMESTAMP,            -- when the run succeeded or failed; NULL while running
    duration_s        DOUBLE,               -- finished_at - started_at in seconds
    source_path       VARCHAR NOT NULL,     -- CSV the run read, as given
    source_sha256     VARCHAR,              -- sha256 of the CSV bytes
    n_rows            BIGINT,               -- data rows ingested from the CSV
    extra_columns     VARCHAR,              -- CSV columns outside the contract, ignored (comma list)
    features          VARCHAR NOT NULL,     -- clustered columns, comma list in order
    k                 INTEGER,              -- number of segments fitted
    k_reason          VARCHAR,              -- why this k: the decision rule's outcome in words
    inertia           DOUBLE,               -- K-Means inertia of the fitted model (scaled units)
    silhouette        DOUBLE,               -- silhouette of the fitted model (sampled beyond a size)
    calinski_harabasz DOUBLE,               -- Calinski-Harabasz score of the fitted model
    davies_bouldin    DOUBLE,               -- Davies-Bouldin score of the fitted model
    model_path        VARCHAR,              -- joblib file holding scaler + K-Means + segment map
    model_sha256      VARCHAR,              -- sha256 of model_path; checked before the model is loaded
    library_versions  VARCHAR,              -- JSON object: python, scikit-learn, pandas, duckdb, ...
    settings          VARCHAR,              -- JSON object: the settings the run used
    flow_run_id       VARCHAR,              -- Prefect flow run id, when run through Prefect
    error             VARCHAR               -- why the run failed; NULL otherwise
);

-- raw_customers: the source rows as read, text as in the file. Grain: (run_id, source_line).
CREATE TABLE raw_customers (
    run_id         VARCHAR NOT NULL,  -- runs.run_id
    source_line    BIGINT NOT NULL,   -- line number in the CSV (the header is line 1)
    customer_id    VARCHAR,           -- CustomerID as text
    gender         VARCHAR,           -- Gender (or the Kaggle spelling Genre) as text
    age            VARCHAR,           -- Age as text
    annual_income  VARCHAR,           -- Annual Income (k$) as text
    spending_score VARCHAR            -- Spending Score (1-100) as text
);

-- validation_failures: every check an input row failed. Grain: one failed check of one value.
CREATE TABLE validation_failures (
    run_id       VARCHAR NOT NULL,  -- runs.run_id (a failed run)
    column_name  VARCHAR,           -- canonical column (customer_id, gender, ...); NULL for table checks
    check_name   VARCHAR NOT NULL,  -- pandera check, e.g. 'isin(...)', 'unique', 'coerce_dtype(int64)'
    failure_case VARCHAR,           -- the failing value, as text
    source_line  BIGINT             -- line number in the CSV; NULL for table-level checks
);

-- customer_segments: the segment of every customer in a succeeded run. Grain: (run_id, customer_id).
CREATE TABLE customer_segments (
    run_id       VARCHAR NOT NULL,  -- runs.run_id
    period       VARCHAR NOT NULL,  -- runs.period, repeated for convenient filtering
    customer_id  BIGINT NOT NULL,   -- CustomerID from the source
    segment_id   INTEGER NOT NULL,  -- 1..k, numbered by segment size (1 = largest)
    segment_name VARCHAR NOT NULL   -- business name derived from the centroid, e.g. 'High income · Low spending'
);

-- segment_profiles: what each segment of a succeeded run looks like. Grain: (run_id, segment_id).
CREATE TABLE segment_profiles (
    run_id                  VARCHAR NOT NULL,  -- runs.run_id
    period                  VARCHAR NOT NULL,  -- runs.period
    segment_id              INTEGER NOT NULL,  -- 1..k, as in customer_segments
    segment_name            VARCHAR NOT NULL,  -- as in customer_segments
    n_customers             BIGINT NOT NULL,   -- customers in the segment
    share                   DOUBLE NOT NULL,   -- n_customers / all customers of the run
    mean_age                DOUBLE NOT NULL,   -- years
    median_age              DOUBLE NOT NULL,
    mean_annual_income      DOUBLE NOT NULL,   -- k$
    median_annual_income    DOUBLE NOT NULL,
    mean_spending_score     DOUBLE NOT NULL,   -- 1..100
    median_spending_score   DOUBLE NOT NULL,
    share_female            DOUBLE NOT NULL,   -- share of the segment whose Gender is Female
    share_male              DOUBLE NOT NULL,   -- share of the segment whose Gender is Male
    centroid_age            DOUBLE,            -- K-Means centre in original units; NULL if not a feature
    centroid_annual_income  DOUBLE,
    centroid_spending_score DOUBLE
);

-- k_selection: the scores of every candidate k a run tried. Grain: (run_id, k).
CREATE TABLE k_selection (
    run_id            VARCHAR NOT NULL,  -- runs.run_id
    k                 INTEGER NOT NULL,  -- candidate number of segments
    inertia           DOUBLE NOT NULL,   -- within-cluster sum of squares (scaled units); lower is tighter
    silhouette        DOUBLE,            -- -1..1, higher is better; sampled beyond a size
    calinski_harabasz DOUBLE,            -- higher is better
    davies_bouldin    DOUBLE,            -- lower is better
    chosen            BOOLEAN NOT NULL   -- the k the run fitted
);
