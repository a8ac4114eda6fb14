UPDATE runs
SET status = 'succeeded',
    finished_at = $finished_at,
    duration_s = date_diff('millisecond', started_at, $finished_at) / 1000.0,
    source_sha256 = $source_sha256,
    source_format = $source_format,
    delimiter = $delimiter,
    column_map = $column_map,
    n_rows = $n_rows,
    extra_columns = nullif($extra_columns, ''),
    k = $k,
    k_reason = $k_reason,
    selection_rows = $selection_rows,
    silhouette_rows = $silhouette_rows,
    inertia = $inertia,
    silhouette = $silhouette,
    calinski_harabasz = $calinski_harabasz,
    davies_bouldin = $davies_bouldin,
    model_path = $model_path,
    model_sha256 = $model_sha256,
    library_versions = $library_versions
WHERE run_id = $run_id AND status = 'running'
RETURNING run_id;
