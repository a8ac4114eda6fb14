-- 011_forecasts: segments that look forward. Per fitted run of an order history, BG/NBD (orders) and
-- Gamma-Gamma (order value) fitted on every customer seen up to the period's end; per customer, the
-- chance of still being active and the orders and value to expect; per segment, the same summed; and
-- every earlier forecast whose horizon has ended, measured against what happened (tasks/forecast.py).

-- forecast_models: the models a run forecast with. Grain: run_id (order-history runs only).
CREATE TABLE forecast_models (
    run_id               VARCHAR NOT NULL,  -- runs.run_id
    period               VARCHAR NOT NULL,  -- runs.period
    fitted_run_id        VARCHAR NOT NULL,  -- the run that fitted these parameters: itself, or a score run's model run
    bgnbd_r              DOUBLE NOT NULL,   -- BG/NBD: order rate ~ Gamma(r, alpha)
    bgnbd_alpha          DOUBLE NOT NULL,   -- per day
    bgnbd_a              DOUBLE NOT NULL,   -- BG/NBD: dropout after an order ~ Beta(a, b)
    bgnbd_b              DOUBLE NOT NULL,
    gg_p                 DOUBLE,            -- Gamma-Gamma (order value); NULL without a spend model
    gg_q                 DOUBLE,
    gg_gamma             DOUBLE,
    log_likelihood       DOUBLE NOT NULL,   -- BG/NBD log-likelihood of the customers fitted
    gg_log_likelihood    DOUBLE,            -- Gamma-Gamma log-likelihood of the repeat customers fitted
    customers            BIGINT NOT NULL,   -- customers the model saw (fit runs: everyone up to the end)
    repeat_customers     BIGINT NOT NULL,   -- those with a repeat order
    sample_size          BIGINT NOT NULL,   -- customers the BG/NBD fit used (a seeded sample beyond SEGMENT_FORECAST_SAMPLE_SIZE)
    gg_sample_size       BIGINT NOT NULL,   -- repeat customers the Gamma-Gamma fit used
    converged            BOOLEAN NOT NULL,  -- both fits converged
    reason               VARCHAR,           -- what went wrong, in words; NULL when all is well
    horizon_days         INTEGER NOT NULL,  -- days of the next period of the run's cadence (what expected_orders covers)
    horizon_12m_days     INTEGER NOT NULL,  -- days of the next 12 months
    predicted_orders     DOUBLE NOT NULL,   -- sum of customer_forecasts.expected_orders
    predicted_orders_12m DOUBLE NOT NULL,
    predicted_value      DOUBLE,            -- sum of expected_value; NULL without a spend model
    predicted_value_12m  DOUBLE,
    model_path           VARCHAR NOT NULL,  -- the parameters as a JSON file beside the segment model
    model_sha256         VARCHAR NOT NULL   -- its checksum (a score run refuses a file that differs)
);

-- customer_forecasts: each customer's forecast. Grain: (run_id, customer_id); every customer the model saw.
CREATE TABLE customer_forecasts (
    run_id                VARCHAR NOT NULL,
    period                VARCHAR NOT NULL,
    customer_id           VARCHAR NOT NULL,
    segment_id            INTEGER,           -- the customer's segment; NULL: lapsed beyond the window, not segmented
    repeat_orders         BIGINT NOT NULL,   -- x: orders after the first, up to the period's end
    days_first_to_last    BIGINT NOT NULL,   -- t_x: days from the first order to the last
    days_since_first      BIGINT NOT NULL,   -- T: days from the first order to the period's end
    p_active              DOUBLE NOT NULL,   -- chance the customer is still a customer at the period's end
    expected_orders       DOUBLE NOT NULL,   -- orders expected in the next period (a quarter after a quarterly run)
    expected_orders_12m   DOUBLE NOT NULL,   -- orders expected in the next 12 months
    expected_order_value  DOUBLE,            -- value of one future order; NULL without a spend model
    expected_value        DOUBLE,            -- expected_orders × expected_order_value (undiscounted)
    expected_value_12m    DOUBLE,            -- expected_orders_12m × expected_order_value: 12-month CLV (undiscounted)
    at_risk               BOOLEAN NOT NULL   -- valuable but slipping away (README "Looking forward")
);

-- forecast_backtests: earlier forecasts measured against what happened. Grain: (run_id,
-- forecast_run_id, horizon_end, segment_id); segment_id NULL: every customer the forecast saw.
CREATE TABLE forecast_backtests (
    run_id            VARCHAR NOT NULL,  -- the run that measured (its order history holds the horizon)
    period            VARCHAR NOT NULL,
    forecast_run_id   VARCHAR NOT NULL,  -- the run whose forecast was measured
    forecast_period   VARCHAR NOT NULL,
    horizon           VARCHAR NOT NULL,  -- 'next period' or '12 months'
    horizon_start     DATE NOT NULL,     -- exclusive: the forecast run's period end
    horizon_end       DATE NOT NULL,     -- inclusive
    segment_id        INTEGER,           -- the forecast run's segment; NULL: all its customers
    customers         BIGINT NOT NULL,   -- customers the forecast covered
    predicted_orders  DOUBLE NOT NULL,
    actual_orders     BIGINT NOT NULL,   -- their orders with a positive net amount in the horizon
    predicted_value   DOUBLE,
    actual_value      DOUBLE NOT NULL    -- the net amount of those orders
);

-- segment_profiles: each segment's outlook (NULL for customer-table runs).
ALTER TABLE segment_profiles ADD COLUMN mean_p_active DOUBLE;       -- mean chance of still being a customer
ALTER TABLE segment_profiles ADD COLUMN expected_orders DOUBLE;     -- orders expected in the next period, summed
ALTER TABLE segment_profiles ADD COLUMN expected_value_12m DOUBLE;  -- value expected in the next 12 months, summed
ALTER TABLE segment_profiles ADD COLUMN customers_at_risk BIGINT;   -- valuable but slipping away
ALTER TABLE segment_profiles ADD COLUMN share_at_risk DOUBLE;       -- customers_at_risk / n_customers

-- segment_profiles.colour: the palette now puts the blues apart (orange, blue, green, vermilion,
-- purple, sky blue, yellow, black: segmentation/colours.py), so the first segments never share a
-- hue; every run's segments get the colour their ID has now.
UPDATE segment_profiles
SET colour = ['#E69F00', '#0072B2', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'][((segment_id - 1) % 8) + 1];
