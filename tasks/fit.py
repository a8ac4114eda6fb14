"""Fit: the chosen candidate refined on every customer; the model file and its checksum.

The chosen k was already fitted (n_init restarts, seeded) on the selection sample; the final
model starts from that candidate's centres and runs Lloyd's iterations on all rows, so the
chosen k is never fitted from scratch twice and a run over millions of rows costs a few passes.

Segment ids are ours, not K-Means': a new fit numbers its segments by size (1 is the largest,
ties broken by centroid), so a label permutation between two fits never renumbers the same
segmentation; `tasks.identity` then gives them the IDs of the segments they continue.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.kmeans import cluster_scores
from segmentation.model import SegmentModel
from segmentation.results import Assignment, Features, KChoice
from segmentation.settings import Settings


@task(cache_policy=NO_CACHE)
def fit(settings: Settings, features: Features, choice: KChoice) -> Assignment:
    """Refine the chosen candidate on every customer and score the result.

    Inertia covers every customer; silhouette, Calinski-Harabasz and Davies-Bouldin are scored
    on the selection sample with the final labels (the same estimate at a fraction of the cost)."""
    model = SegmentModel(features.names, features.scaler).fit(
        features.scaled, k=choice.k, random_state=settings.random_state, init=choice.centers
    )
    scores = {"inertia": model.inertia_} | cluster_scores(
        features.selection_matrix,
        model.labels_[features.selection],
        silhouette_sample_size=settings.silhouette_sample_size,
        random_state=settings.random_state,
    )
    silhouette_rows = min(len(features.selection), settings.silhouette_sample_size)
    get_run_logger().info("fitted k=%d on %d rows: silhouette %s", choice.k, len(features.scaled), scores["silhouette"])
    return Assignment.of(model, model.labels_, scores, silhouette_rows)


@task(cache_policy=NO_CACHE)
def save_artifact(settings: Settings, run_id: str, assignment: Assignment) -> tuple[str, str]:
    """Save the segment model (scaler, K-Means, lasting segment ids) and its versions; return (path, sha256)."""
    path = (settings.artifacts_root / run_id / "model.joblib").resolve()
    return str(path), assignment.model.save(path)
