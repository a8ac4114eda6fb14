-- Load one CSV into raw_customers as text. Parameters: run_id, path, reader columns (a struct
-- name -> type built from the header in file order). No sniffing: the dialect is fixed, so a
-- ragged row is an error with its line number, not a silently re-guessed delimiter.
INSERT INTO raw_customers
    (run_id, source_line, customer_id, gender, age, annual_income, spending_score)
SELECT
    $1,
    ordinality + 1,  -- the header is line 1
    customer_id, gender, age, annual_income, spending_score
FROM read_csv(
    $2,
    columns = $3,
    header = true,
    auto_detect = false,
    delim = ',',
    quote = '"',
    escape = '"',
    strict_mode = true,
    null_padding = false,
    encoding = 'utf-8'
) WITH ORDINALITY;
