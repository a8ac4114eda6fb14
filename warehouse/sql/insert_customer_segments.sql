-- assignments_arrow: customer_id (text) and segment_id per customer; names_df: segment_id -> name.
INSERT INTO customer_segments (run_id, period, customer_id, customer_id_int, segment_id, segment_name)
SELECT
    $1,
    $2,
    a.customer_id,
    CASE WHEN CAST(TRY_CAST(a.customer_id AS BIGINT) AS VARCHAR) = a.customer_id
         THEN TRY_CAST(a.customer_id AS BIGINT) END,
    a.segment_id,
    n.segment_name
FROM assignments_arrow AS a
JOIN names_df AS n USING (segment_id);
