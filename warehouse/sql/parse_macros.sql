-- How source values become numbers; ingest and the failure report share these definitions.
-- A number: a finite DOUBLE ('42', ' 4.5 ', '1e3'); anything else (text, inf, nan) is NULL.
CREATE OR REPLACE TEMP MACRO finite(d) AS CASE WHEN isfinite(d) THEN d END;
-- A whole number: a number without a fractional part that fits a BIGINT (19, 19.0).
CREATE OR REPLACE TEMP MACRO whole(d) AS CASE WHEN finite(d) = round(d) THEN TRY_CAST(d AS BIGINT) END;
-- The same, from text.
CREATE OR REPLACE TEMP MACRO as_number(t) AS finite(TRY_CAST(t AS DOUBLE));
CREATE OR REPLACE TEMP MACRO as_whole(t) AS whole(TRY_CAST(t AS DOUBLE));
