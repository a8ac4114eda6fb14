UPDATE runs
SET status = 'succeeded',
    finished_at = $1,
    duration_s = date_diff('millisecond', started_at, $1) / 1000.0,
    source_sha256 = $2,
    n_rows = $3,
    extra_columns = nullif($4, ''),
    k = $5,
    k_reason = $6,
    inertia = $7,
    silhouette = $8,
    calinski_harabasz = $9,
    davies_bouldin = $10,
    model_path = $11,
    model_sha256 = $12,
    library_versions = $13
WHERE run_id = $14 AND status = 'running'
RETURNING run_id;
