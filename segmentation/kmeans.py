"""K-Means primitives shared by choosing k (`tasks.select_k`) and the final fit (`tasks.fit`).

Every random step takes a `random_state`; restarts (`n_init`) are always set explicitly
(scikit-learn's 'auto' is a single start for k-means++). Silhouette is quadratic in rows, so it is
scored on a seeded sample beyond `silhouette_sample_size` rows.
"""

from __future__ import annotations

import numpy as np
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

SILHOUETTE_WORKING_MEMORY_MB = 128


def number_segments(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Map K-Means labels to segment ids 1..k: by size, largest first, ties by centroid.

    Args:
        labels: K-Means label per row.
        centers: cluster centres, one row per label.

    Returns:
        Array whose entry at a label is that label's segment id.
    """
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    # lexsort sorts by the last key first: size descending, then centroid coordinates.
    order = np.lexsort((*centers.T[::-1], -sizes))
    segment_of_label = np.empty(k, dtype=np.int64)
    segment_of_label[order] = np.arange(1, k + 1)
    return segment_of_label


def cluster_scores(
    scaled: np.ndarray, labels: np.ndarray, *, silhouette_sample_size: int, random_state: int
) -> dict[str, float | None]:
    """Silhouette (on a seeded sample beyond `silhouette_sample_size` rows: it is quadratic in
    rows), Calinski-Harabasz and Davies-Bouldin of a partition; None when it has one cluster."""
    if len(np.unique(labels)) < 2:
        return {"silhouette": None, "calinski_harabasz": None, "davies_bouldin": None}
    sample = silhouette_sample_size if len(scaled) > silhouette_sample_size else None
    # Silhouette builds a sample x sample distance matrix and several candidate k are scored at
    # once: cap each one's working memory so scikit-learn computes it in chunks.
    with config_context(working_memory=SILHOUETTE_WORKING_MEMORY_MB):
        silhouette = float(silhouette_score(scaled, labels, sample_size=sample, random_state=random_state))
    return {
        "silhouette": silhouette,
        "calinski_harabasz": float(calinski_harabasz_score(scaled, labels)),
        "davies_bouldin": float(davies_bouldin_score(scaled, labels)),
    }


def fit_kmeans(
    scaled: np.ndarray, k: int, *, n_init: int, random_state: int, silhouette_sample_size: int
) -> tuple[KMeans, dict[str, float | None]]:
    """Fit K-Means from scratch and score the fit.

    Args:
        scaled: the standardised feature matrix.
        k: number of clusters.
        n_init: K-Means restarts (scikit-learn's 'auto' is a single start for k-means++).
        random_state: seed for K-Means and for the silhouette sample.
        silhouette_sample_size: silhouette is quadratic in rows; beyond this many it is sampled.

    Returns:
        The model and its inertia, silhouette, calinski_harabasz, davies_bouldin (the last
        three None when the fit has fewer than two distinct clusters).
    """
    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(scaled)
    scores = cluster_scores(
        scaled, model.labels_, silhouette_sample_size=silhouette_sample_size, random_state=random_state
    )
    return model, {"inertia": float(model.inertia_)} | scores


def refine(scaled: np.ndarray, centers: np.ndarray, *, random_state: int) -> KMeans:
    """Lloyd's iterations on every row from given centres (a warm start, not a new search).

    `scaled` is centred in place and put back rather than copied (copy_x=False): at ten million
    rows a copy is 160 MB and a second of work."""
    model = KMeans(n_clusters=len(centers), init=centers, n_init=1, random_state=random_state, copy_x=False)
    return model.fit(scaled)


def stability_score(
    scaled: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    resamples: int,
    sample_size: int,
    n_init: int,
    random_state: int,
) -> float | None:
    """How reproducible a partition is: mean adjusted Rand index between `labels` and K-Means
    refits on seeded subsamples (each at most 80% of the rows and `sample_size` rows).

    Args:
        scaled: the standardised feature matrix.
        labels: the candidate's labels on all rows.
        k: number of clusters.
        resamples: how many subsample refits; 0 turns the score off.
        sample_size: rows per refit, at most.
        n_init: K-Means restarts per refit.
        random_state: seed of the subsamples and the refits.

    Returns:
        The mean ARI (1 = identical partitions), or None when turned off or too few rows.
    """
    size = min(sample_size, int(0.8 * len(scaled)))
    if resamples == 0 or size <= k:
        return None
    rng = np.random.default_rng(random_state)
    agreement = []
    for _ in range(resamples):
        rows = rng.choice(len(scaled), size=size, replace=False)
        seed = int(rng.integers(2**31 - 1))
        refit = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(scaled[rows])
        agreement.append(adjusted_rand_score(labels[rows], refit.labels_))
    return float(np.mean(agreement))
