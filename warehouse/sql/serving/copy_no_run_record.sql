-- The columns of `runs` and the publication stamp, without rows, written as Parquet to $1.
COPY (SELECT *, CAST(NULL AS TIMESTAMPTZ) AS published_at FROM runs LIMIT 0) TO $1 (FORMAT parquet);
