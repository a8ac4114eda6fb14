-- source_rows: a Parquet file's contract columns as text, with their row number (from 1).
-- source_arrow is the file's mapped columns, renamed to the contract's names, with source_line.
CREATE OR REPLACE TEMP VIEW source_rows AS
SELECT
    source_line,
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(gender AS VARCHAR) AS gender,
    CAST(age AS VARCHAR) AS age,
    CAST(annual_income AS VARCHAR) AS annual_income,
    CAST(spending_score AS VARCHAR) AS spending_score
FROM source_arrow;
