-- How source text becomes numbers; ingest and the failure report share these definitions.
-- A number: text DuckDB reads as a finite DOUBLE ('42', ' 4.5 ', '1e3'); anything else is NULL.
CREATE OR REPLACE TEMP MACRO as_number(t) AS
    CASE WHEN isfinite(TRY_CAST(t AS DOUBLE)) THEN TRY_CAST(t AS DOUBLE) END;
-- A whole number: a number without a fractional part that fits a BIGINT ('19', '19.0').
CREATE OR REPLACE TEMP MACRO as_whole(t) AS
    CASE WHEN as_number(t) = round(as_number(t)) THEN TRY_CAST(as_number(t) AS BIGINT) END;
