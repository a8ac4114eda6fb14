-- 006_rules_and_samples: a rule a person can act on per segment, and a seeded sample of each
-- run's customers with their feature values, so plots and reports can be rebuilt for any run.

-- segment_profiles gains the segment's rule (grain unchanged: run_id, segment_id).
ALTER TABLE segment_profiles ADD COLUMN rule VARCHAR;            -- conditions in original units that select the segment, e.g. 'annual income ≥ 70 k$ and spending score ≤ 40'; NULL before 006
ALTER TABLE segment_profiles ADD COLUMN rule_precision DOUBLE;   -- of the customers the rule selects, the share in the segment
ALTER TABLE segment_profiles ADD COLUMN rule_recall DOUBLE;      -- of the segment's customers, the share the rule selects

-- customer_sample: a seeded sample of a succeeded run's customers (up to SEGMENT_PLOT_SAMPLE_SIZE,
-- all of them for small runs) with their segment and values, for segment maps. Grain: (run_id, customer_id).
CREATE TABLE customer_sample (
    run_id          VARCHAR NOT NULL,  -- runs.run_id
    customer_id     VARCHAR NOT NULL,  -- as in customer_segments
    segment_id      INTEGER NOT NULL,  -- as in customer_segments
    gender          VARCHAR NOT NULL,
    age             BIGINT NOT NULL,   -- years
    annual_income   DOUBLE NOT NULL,   -- k$
    spending_score  BIGINT NOT NULL    -- 1..100
);
