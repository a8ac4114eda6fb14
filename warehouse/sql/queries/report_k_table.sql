SELECT k, inertia, silhouette, calinski_harabasz, davies_bouldin, stability, chosen
FROM k_selection WHERE run_id = $1 ORDER BY k;
