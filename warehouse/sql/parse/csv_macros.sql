-- How every CSV the product reads (customer tables, order histories, attributes) is read by
-- DuckDB: one dialect, fixed, so a ragged row is an error with its line rather than a silently
-- re-guessed layout. Variables: source_path, reader_columns (a struct name -> type built from the
-- header, in file order) and delimiter.
-- csv_rows(): the records as the reader types them. csv_numbered_rows(): the same with
-- source_line, the record's number + 1 (the header is line 1). Two macros, because numbering the
-- rows makes DuckDB read the file in order, at half the speed: only what names lines numbers them
-- (DuckDB ignores WITH ORDINALITY on a table macro, so the numbered one reads the file itself).
CREATE OR REPLACE TEMP MACRO csv_rows() AS TABLE
SELECT *
FROM read_csv(
    getvariable('source_path'), columns = getvariable('reader_columns'), header = true, auto_detect = false,
    delim = getvariable('delimiter'), quote = '"', escape = '"', strict_mode = true, null_padding = false,
    encoding = 'utf-8'
);

CREATE OR REPLACE TEMP MACRO csv_numbered_rows() AS TABLE
SELECT * EXCLUDE (ordinality), ordinality + 1 AS source_line
FROM read_csv(
    getvariable('source_path'), columns = getvariable('reader_columns'), header = true, auto_detect = false,
    delim = getvariable('delimiter'), quote = '"', escape = '"', strict_mode = true, null_padding = false,
    encoding = 'utf-8'
) WITH ORDINALITY;
