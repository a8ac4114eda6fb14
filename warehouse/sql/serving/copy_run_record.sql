-- One finished run's row of `runs`, stamped with the moment BI readers may see it, written as
-- Parquet to $3. `published_at` (TIMESTAMPTZ) is what the BI surface's `runs` view compares with
-- `now()`: the start of the reader's transaction (docs/warehouse.md#the-serving-surface).
COPY (SELECT *, CAST($2 AS TIMESTAMPTZ) AS published_at FROM runs WHERE run_id = $1) TO $3 (FORMAT parquet);
