"""Fit: the chosen candidate refined on every customer; the model file and its checksum.

The chosen k was already fitted (n_init restarts, seeded) on the selection sample; the final
model starts from that candidate's centres and runs Lloyd's iterations on all rows, so the
chosen k is never fitted from scratch twice and a run over millions of rows costs a few passes.

Segment ids are ours, not K-Means': a new fit numbers its segments by size (1 is the largest,
ties broken by centroid), so a label permutation between two fits never renumbers the same
segmentation; `tasks.identity` then gives them the IDs of the segments they continue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.kmeans import KChoice, cluster_scores
from segmentation.model import SegmentModel
from segmentation.settings import Settings
from tasks.features import Features


@dataclass(frozen=True)
class FittedModel:
    """The segment model and what the run records about it and its customers."""

    model: SegmentModel  # scaler, K-Means and K-Means label -> our segment id
    segment_ids: np.ndarray  # per customer, in the validated rows' order
    ids: np.ndarray  # the segment ids, ascending; row i of the centroid arrays is segment ids[i]
    centroids: np.ndarray  # one row per segment, in model space (original units; log1p where heavy-tailed)
    scaled_centroids: np.ndarray  # the same, in the run's standard deviations from the mean
    scores: dict[str, float | None]
    silhouette_rows: int

    def renumbered(self, new_ids: np.ndarray) -> FittedModel:
        """The same model with segment ids[i] called new_ids[i]."""
        lookup = np.zeros(max(int(self.ids.max()), 0) + 1, dtype=np.int64)
        lookup[self.ids] = new_ids
        order = np.argsort(new_ids)
        return FittedModel(
            self.model.renumbered(lookup),
            lookup[self.segment_ids].astype(np.int32),
            np.asarray(new_ids)[order],
            self.centroids[order],
            self.scaled_centroids[order],
            self.scores,
            self.silhouette_rows,
        )


def fitted_model(
    model: SegmentModel, labels: np.ndarray, scores: dict[str, float | None], silhouette_rows: int
) -> FittedModel:
    """A run's segments from a segment model and the K-Means labels of its customers: each
    customer's segment id, and the centres in the standardised space and in model space."""
    ids, scaled_centroids, centroids = model.segment_centres()
    return FittedModel(
        model,
        model.segment_of_label_[labels].astype(np.int32),
        ids,
        centroids,
        scaled_centroids,
        scores,
        silhouette_rows,
    )


@task(cache_policy=NO_CACHE)
def fit(settings: Settings, features: Features, choice: KChoice) -> FittedModel:
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
    return fitted_model(model, model.labels_, scores, silhouette_rows)


@task(cache_policy=NO_CACHE)
def save_artifact(settings: Settings, run_id: str, fitted: FittedModel) -> tuple[str, str]:
    """Save the segment model (scaler, K-Means, lasting segment ids) and its versions; return (path, sha256)."""
    path = (settings.artifacts_root / run_id / "model.joblib").resolve()
    return str(path), fitted.model.save(path)
