-- How source values become numbers; ingest and the failure report share these definitions.
-- A number: a finite DOUBLE ('42', ' 4.5 ', '1e3'); anything else (text, inf, nan, 1_000, 1,000) is NULL.
CREATE OR REPLACE TEMP MACRO finite(d) AS CASE WHEN isfinite(d) THEN d END;
-- A whole number: a number without a fractional part that fits a BIGINT (19, 19.0).
CREATE OR REPLACE TEMP MACRO whole(d) AS CASE WHEN finite(d) = round(d) THEN TRY_CAST(d AS BIGINT) END;
-- The same, from text. DuckDB's cast also reads '1_000' as 1000: refused here, as '1,000' is
-- (is it a thousand, or one with a decimal comma?); '1e3', '+4', '.5' and ' 42 ' are numbers.
CREATE OR REPLACE TEMP MACRO as_number(t) AS CASE WHEN NOT contains(t, '_') THEN finite(TRY_CAST(t AS DOUBLE)) END;
CREATE OR REPLACE TEMP MACRO as_whole(t) AS whole(as_number(t));
