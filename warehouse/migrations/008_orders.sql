-- 008_orders: runs that segment on behaviour from an order history. Their customers' features
-- are computed as of the period's end (point in time) and kept per run; profiles and samples
-- gain the behavioural features; the customer table's columns become optional (an order
-- history has no spending score, and attributes such as age may be absent).

-- runs: what an order-history run read, relative to its period.
ALTER TABLE runs ADD COLUMN source_kind VARCHAR;        -- 'customers' (one row per customer) or 'orders' (an order history); NULL before 008 (= customers)
ALTER TABLE runs ADD COLUMN n_customers BIGINT;         -- customers segmented (orders: those who ordered in the window)
ALTER TABLE runs ADD COLUMN lookback_months INTEGER;    -- orders: the window's length
ALTER TABLE runs ADD COLUMN window_start DATE;          -- orders: the window is (window_start, period_end]
ALTER TABLE runs ADD COLUMN orders_after_end BIGINT;    -- orders: lines dated after the period's end, ignored (point in time)
ALTER TABLE runs ADD COLUMN orders_in_window BIGINT;    -- orders: orders (not lines) in the window
ALTER TABLE runs ADD COLUMN customers_lapsed BIGINT;    -- orders: customers who ordered before the window only (not segmented)
ALTER TABLE runs ADD COLUMN date_format VARCHAR;        -- orders: how order dates were read ('iso' or a strptime form)
ALTER TABLE runs ADD COLUMN attributes_path VARCHAR;    -- orders: the customer attributes file joined, if any
ALTER TABLE runs ADD COLUMN anonymous_lines BIGINT;     -- orders: lines without a customer ID left out (SEGMENT_ANONYMOUS_ORDERS=skip); 0 otherwise

-- segment_profiles: the customer table's columns become optional, the behavioural ones appear
-- (mean, median and K-Means centre in original units; NULL when the run did not have them).
ALTER TABLE segment_profiles ALTER COLUMN mean_age DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN median_age DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN mean_annual_income DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN median_annual_income DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN mean_spending_score DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN median_spending_score DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN share_female DROP NOT NULL;
ALTER TABLE segment_profiles ALTER COLUMN share_male DROP NOT NULL;
ALTER TABLE segment_profiles ADD COLUMN mean_recency_days DOUBLE;        -- days from the last order to the period's end
ALTER TABLE segment_profiles ADD COLUMN median_recency_days DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN centroid_recency_days DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN mean_frequency DOUBLE;           -- orders in the window
ALTER TABLE segment_profiles ADD COLUMN median_frequency DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN centroid_frequency DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN mean_monetary DOUBLE;            -- net spend in the window
ALTER TABLE segment_profiles ADD COLUMN median_monetary DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN centroid_monetary DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN mean_avg_order_value DOUBLE;     -- net spend per order
ALTER TABLE segment_profiles ADD COLUMN median_avg_order_value DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN centroid_avg_order_value DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN mean_tenure_days DOUBLE;         -- days from the first order to the period's end
ALTER TABLE segment_profiles ADD COLUMN median_tenure_days DOUBLE;
ALTER TABLE segment_profiles ADD COLUMN centroid_tenure_days DOUBLE;

-- customer_sample: the same, for segment maps.
ALTER TABLE customer_sample ALTER COLUMN gender DROP NOT NULL;
ALTER TABLE customer_sample ALTER COLUMN age DROP NOT NULL;
ALTER TABLE customer_sample ALTER COLUMN annual_income DROP NOT NULL;
ALTER TABLE customer_sample ALTER COLUMN spending_score DROP NOT NULL;
ALTER TABLE customer_sample ADD COLUMN recency_days BIGINT;
ALTER TABLE customer_sample ADD COLUMN frequency BIGINT;
ALTER TABLE customer_sample ADD COLUMN monetary DOUBLE;
ALTER TABLE customer_sample ADD COLUMN avg_order_value DOUBLE;
ALTER TABLE customer_sample ADD COLUMN tenure_days BIGINT;

-- customer_features: every customer's behavioural features in an order-history run, as of the
-- period's end, so an analyst can see why a customer is in a segment. Grain: (run_id, customer_id).
CREATE TABLE customer_features (
    run_id           VARCHAR NOT NULL,  -- runs.run_id (an order-history run)
    period           VARCHAR NOT NULL,  -- runs.period
    customer_id      VARCHAR NOT NULL,  -- as in customer_segments
    recency_days     BIGINT NOT NULL,   -- days from the customer's last order to the period's end
    frequency        BIGINT NOT NULL,   -- orders in the window (returns are not orders)
    monetary         DOUBLE NOT NULL,   -- net spend in the window (returns subtract)
    avg_order_value  DOUBLE NOT NULL,   -- monetary / frequency
    tenure_days      BIGINT NOT NULL    -- days from the customer's first order to the period's end
);

-- Views: current_customer_features was added here, and segment_history and run_history gained
-- columns; every view's current definition is in warehouse/views/.
