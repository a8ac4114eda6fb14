-- serving_info: one row saying which warehouse schema the BI file's views were built for.
CREATE TABLE serving_info AS
SELECT CAST($1 AS INTEGER) AS schema_version, CAST($2 AS TIMESTAMP) AS built_at;
