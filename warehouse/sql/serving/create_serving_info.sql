-- serving_info: one row saying which warehouse schema the BI file's views were built for, the
-- layout of its Parquet folder, and the folder its views read (as BI tools see it).
CREATE TABLE serving_info AS
SELECT
    CAST($1 AS INTEGER) AS schema_version,
    CAST($2 AS TIMESTAMP) AS built_at,
    CAST($3 AS INTEGER) AS layout,
    CAST($4 AS VARCHAR) AS data_path;
