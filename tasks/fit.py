"""Fit: the chosen candidate refined on every customer; the model file and its checksum.

The chosen k was already fitted (n_init restarts, seeded) on the selection sample; the final
model starts from that candidate's centres and runs Lloyd's iterations on all rows, so the
chosen k is never fitted from scratch twice and a run over millions of rows costs a few passes.

Segment ids are ours, not K-Means': a new fit numbers its segments by size (1 is the largest,
ties broken by centroid), so a label permutation between two fits never renumbers the same
segmentation; `tasks.identity` then gives them the IDs of the segments they continue.
"""

from __future__ import annotations

import copy
import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sklearn.cluster import KMeans

from segmentation.errors import ModelIntegrityError
from segmentation.files import sha256_file
from segmentation.kmeans import KChoice, cluster_scores, number_segments, refine
from segmentation.settings import Settings
from tasks.features import Features

LIBRARIES = ("scikit-learn", "numpy", "pandas", "pandera", "duckdb", "joblib", "kneed", "prefect")


@dataclass(frozen=True)
class FittedModel:
    """The fitted model and what the run records about it."""

    kmeans: KMeans
    segment_of_label: np.ndarray  # K-Means label -> our segment id
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
            self.kmeans,
            lookup[self.segment_of_label],
            lookup[self.segment_ids].astype(np.int32),
            np.asarray(new_ids)[order],
            self.centroids[order],
            self.scaled_centroids[order],
            self.scores,
            self.silhouette_rows,
        )


def library_versions() -> dict[str, str]:
    """Versions of Python and of every library that shapes a model."""
    return {"python": platform.python_version()} | {name: metadata.version(name) for name in LIBRARIES}


def save_model(bundle: dict[str, object], path: Path) -> str:
    """Write a model bundle with joblib atomically; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    joblib.dump(bundle, partial)
    partial.replace(path)
    return sha256_file(path)


def load_model(path: str | Path, *, sha256: str) -> dict[str, object]:
    """Load a model bundle only if its bytes match the recorded sha256 (joblib runs pickles).

    Raises:
        ModelIntegrityError: the file is missing or its checksum differs.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelIntegrityError(f"model file {path} is missing")
    actual = sha256_file(path)
    if actual != sha256:
        raise ModelIntegrityError(
            f"model file {path} has sha256 {actual}, but the run recorded {sha256}: "
            "refusing to load a file that changed since it was written"
        )
    return joblib.load(path)


def fitted_model(
    model: KMeans,
    labels: np.ndarray,
    scaler: object,
    scores: dict[str, float | None],
    silhouette_rows: int,
    segment_of_label: np.ndarray | None = None,
) -> FittedModel:
    """Name the segments of a K-Means by number (by size unless given) and express its centres
    in original units."""
    if segment_of_label is None:
        segment_of_label = number_segments(labels, model.cluster_centers_)
    order = np.argsort(segment_of_label)
    scaled_centroids = model.cluster_centers_[order]
    return FittedModel(
        model,
        segment_of_label,
        segment_of_label[labels].astype(np.int32),
        segment_of_label[order],
        scaler.inverse_transform(scaled_centroids),
        scaled_centroids,
        scores,
        silhouette_rows,
    )


@task(cache_policy=NO_CACHE)
def fit(settings: Settings, features: Features, choice: KChoice) -> FittedModel:
    """Refine the chosen candidate on every customer and score the result.

    Inertia covers every customer; silhouette, Calinski-Harabasz and Davies-Bouldin are scored
    on the selection sample with the final labels (the same estimate at a fraction of the cost)."""
    model = refine(features.scaled, choice.centers, random_state=settings.random_state)
    scores = {"inertia": float(model.inertia_)} | cluster_scores(
        features.selection_matrix,
        model.labels_[features.selection],
        silhouette_sample_size=settings.silhouette_sample_size,
        random_state=settings.random_state,
    )
    silhouette_rows = min(len(features.selection), settings.silhouette_sample_size)
    get_run_logger().info("fitted k=%d on %d rows: silhouette %s", choice.k, len(features.scaled), scores["silhouette"])
    return fitted_model(model, model.labels_, features.scaler, scores, silhouette_rows)


@task(cache_policy=NO_CACHE)
def save_artifact(settings: Settings, run_id: str, features: Features, model: FittedModel) -> tuple[str, str]:
    """Save scaler + K-Means + segment map with joblib; return (path, sha256)."""
    path = (settings.artifacts_root / run_id / "model.joblib").resolve()
    versions = library_versions()
    kmeans = copy.copy(model.kmeans)
    del kmeans.labels_  # one label per training row: megabytes nothing reads
    bundle = {
        "features": list(features.names),
        "scaler": features.scaler,
        "kmeans": kmeans,
        "segment_of_label": model.segment_of_label,
        "library_versions": versions,
    }
    digest = save_model(bundle, path)
    (path.parent / "versions.json").write_text(json.dumps(versions, indent=2), encoding="utf-8")
    return str(path), digest
