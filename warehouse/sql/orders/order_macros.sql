-- How order values become typed; the typed lines and the failure report share these definitions.
-- A number as people write it in an export: digits with an optional sign, decimal point and
-- exponent, spaces around it trimmed ('42', ' -4.50 ', '1e3'). Thousands separators ('1,000',
-- '1_000') and currency signs are refused, never guessed: '1,000' is a thousand in one country
-- and one in another. (DuckDB's cast reads '1_000' as 1000, so underscores are refused first;
-- a cast, not a regular expression: a hundred million lines are read this way.)
CREATE OR REPLACE TEMP MACRO order_number(t) AS
    CASE WHEN NOT contains(t, '_') THEN
        CASE WHEN isfinite(TRY_CAST(trim(t) AS DOUBLE)) THEN TRY_CAST(trim(t) AS DOUBLE) END END;
-- A date from text in the run's date format: ISO dates and timestamps when date_iso is set,
-- otherwise the strptime formats in date_formats (the detected or given one, with and without a time).
CREATE OR REPLACE TEMP MACRO order_day(t) AS
    CAST(CASE WHEN getvariable('date_iso') THEN TRY_CAST(trim(t) AS TIMESTAMP)
              ELSE try_strptime(trim(t), getvariable('date_formats')) END AS DATE);
-- trim(t), without the copy trim makes of every value: most values of a real export have no
-- space around them (a fifth of the one pass over a large file went to trimming them).
CREATE OR REPLACE TEMP MACRO trimmed(t) AS CASE WHEN starts_with(t, ' ') OR ends_with(t, ' ') THEN trim(t) ELSE t END;
-- Text that holds a control character (NUL, tab, CR, ...): refused in IDs.
CREATE OR REPLACE TEMP MACRO has_control(t) AS coalesce(regexp_matches(t, '[\x00-\x1f\x7f]'), false);
