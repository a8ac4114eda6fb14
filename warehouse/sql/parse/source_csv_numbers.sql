-- source_numbers: a CSV's contract columns with the numbers read as DOUBLE by the CSV reader
-- itself (the fast path: one pass, no text copies). Any value the reader cannot convert fails
-- the whole read, and ingest reads the file as text instead (source_csv.sql), which reports
-- every such value with its line. Variables as in source_csv.sql, plus numeric_columns.
CREATE OR REPLACE TEMP VIEW source_numbers AS
SELECT ordinality + 1 AS source_line, customer_id, gender, age, annual_income, spending_score
FROM read_csv(
    getvariable('source_path'),
    columns = getvariable('numeric_columns'),
    header = true,
    auto_detect = false,
    delim = getvariable('delimiter'),
    quote = '"',
    escape = '"',
    strict_mode = true,
    null_padding = false,
    encoding = 'utf-8'
) WITH ORDINALITY;
