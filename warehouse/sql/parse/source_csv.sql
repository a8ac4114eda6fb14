-- source_rows: a CSV's contract columns as text, with their line (the header is line 1).
-- Variables: source_path, reader_columns (a struct name -> type built from the header in file
-- order) and delimiter. No sniffing: the dialect is fixed, so a ragged row is an error with its
-- line number, not a silently re-guessed layout.
CREATE OR REPLACE TEMP VIEW source_rows AS
SELECT ordinality + 1 AS source_line, customer_id, gender, age, annual_income, spending_score
FROM read_csv(
    getvariable('source_path'),
    columns = getvariable('reader_columns'),
    header = true,
    auto_detect = false,
    delim = getvariable('delimiter'),
    quote = '"',
    escape = '"',
    strict_mode = true,
    null_padding = false,
    encoding = 'utf-8'
) WITH ORDINALITY;
