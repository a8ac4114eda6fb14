-- The syntax tree of a query, as JSON (no binding): how warehouse/comments.py follows a view's columns.
SELECT json_serialize_sql($1);
