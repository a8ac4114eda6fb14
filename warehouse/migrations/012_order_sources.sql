-- 012_order_sources: orders read from a folder of exports or a PostgreSQL table or query, and what
-- a run records of them. A table has no bytes to hash, so every order-history run records a checksum
-- of the orders up to its period's end (the same orders give the same checksum from a CSV, a folder or a table),
-- and where they came from. A failing row of a folder is named by its file and line, of a table by
-- its primary key.
ALTER TABLE runs ADD COLUMN source_checksum VARCHAR;  -- orders: a checksum of the order lines up to the period's end (16 hex digits, with the DuckDB version that made it); NULL for customer tables and runs before 012
ALTER TABLE runs ADD COLUMN source_detail VARCHAR;    -- orders: JSON of where they came from (a table: masked URL, table or query, key, time zone, read_until; a folder: its files); NULL for one file

ALTER TABLE validation_failures ADD COLUMN source_file VARCHAR;  -- a folder or glob of order files: the file of source_line (relative to the folder); NULL otherwise
ALTER TABLE validation_failures ADD COLUMN source_key VARCHAR;   -- a PostgreSQL source: the failing row's primary key as text ('17', '(A17,3)'), or its ctid; NULL otherwise
