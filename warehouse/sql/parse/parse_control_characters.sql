-- IDs and categories holding a control character (U+0000..U+001F: NUL, tab, a line break, ...),
-- with their line: an ID such as '1<NUL>5' is not an ID anyone can type or join on.
-- typed_rows: the typed source rows (customer_id, gender, source_line).
SELECT column_name, 'no control characters' AS check_name, failure_case, source_line
FROM (
    UNPIVOT (SELECT source_line, customer_id, CAST(gender AS VARCHAR) AS gender FROM typed_rows)
    ON customer_id, gender
    INTO NAME column_name VALUE failure_case
)
WHERE regexp_matches(failure_case, '[' || chr(1) || '-' || chr(31) || ']') OR contains(failure_case, chr(0))
ORDER BY source_line, column_name;
