-- order_text: an order file's columns as text, with their line (the header is line 1). Every
-- column of the order contract is there; optional ones the file lacks are NULL.
-- Variables: source_path, reader_columns (name -> VARCHAR, in file order), delimiter.
-- order_values: the same with source_line NULL, for the one pass that reads every line
-- (numbering the rows makes DuckDB read the file in order, at half the speed); only a failed
-- file's report, which names lines, reads order_text. Both are typed by order_lines (order_macros.sql).
CREATE OR REPLACE TEMP VIEW order_text AS
SELECT * EXCLUDE (ordinality), ordinality + 1 AS source_line
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
) WITH ORDINALITY
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price, NULL::BIGINT AS ordinality
WHERE false;

CREATE OR REPLACE TEMP VIEW order_values AS
SELECT *, NULL::BIGINT AS source_line
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
)
UNION ALL BY NAME
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS order_date, NULL::VARCHAR AS amount,
       NULL::VARCHAR AS order_id, NULL::VARCHAR AS quantity, NULL::VARCHAR AS unit_price
WHERE false;
