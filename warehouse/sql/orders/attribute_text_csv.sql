-- attribute_text: a customer attributes file's columns as text, with their line (header = line 1);
-- attributes the file lacks are NULL. Variables: source_path, reader_columns, delimiter.
CREATE OR REPLACE TEMP VIEW attribute_text AS
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
SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS gender, NULL::VARCHAR AS age,
       NULL::VARCHAR AS annual_income, NULL::BIGINT AS ordinality
WHERE false;
