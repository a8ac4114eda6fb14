"""The segment model: an estimator in scikit-learn's style that assigns customers to segments.

It is the features' scaler (fitted by `tasks.features` on every customer, kept with the model),
K-Means, and the map from a K-Means label to our segment id (by size at fit time; the lasting
IDs once `tasks.identity` has renumbered it). `fit`, `predict` and the other methods take the
standardised matrix; `transform` makes it from features in model space
(`tasks.features.feature_matrix`), so `model.predict(model.transform(X))` assigns new customers.

On disk (`save`, `load`) a model is a joblib file holding a plain dict of scikit-learn objects and
arrays (features, scaler, kmeans, segment_of_label, library_versions), with its sha256 recorded by
the run and its library versions also in `versions.json` beside it. The dict, not a pickle of this
class, on purpose: a pickled class ties every artifact to this module's path and attributes, while
the dict is the layout earlier versions of the pipeline wrote, so their model files (which existing
warehouses point at, and which `segment score` and segment matching read) load through the same
door. joblib files are pickles: `load` refuses a file whose bytes are not the recorded ones.
"""

from __future__ import annotations

import copy
import json
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from segmentation.errors import ModelIntegrityError
from segmentation.files import sha256_file
from segmentation.kmeans import number_segments, refine

LIBRARIES = ("scikit-learn", "numpy", "pandas", "pandera", "duckdb", "joblib", "kneed", "prefect")
BUNDLE_KEYS = ("features", "scaler", "kmeans", "segment_of_label")  # library_versions: absent from the oldest files
VERSIONS_FILE = "versions.json"


def library_versions() -> dict[str, str]:
    """Versions of Python and of every library that shapes a model."""
    return {"python": platform.python_version()} | {name: metadata.version(name) for name in LIBRARIES}


class SegmentModel:
    """Scaler + K-Means + K-Means label -> segment id.

    Args:
        features: the clustered features, in the matrix's column order (`segmentation.registry`).
        scaler: their standardisation, already fitted (the run records it as its common space).

    Attributes (once fitted or loaded):
        kmeans_: the K-Means (without its training labels once saved).
        segment_of_label_: entry i is the segment id of K-Means label i.
        labels_: K-Means label per training row (fit only; not saved).
        inertia_: K-Means inertia on the training rows (fit only).
        library_versions_: Python and library versions the model was fitted with.
    """

    def __init__(self, features: Sequence[str] = (), scaler: StandardScaler | None = None) -> None:
        self.features = tuple(features)
        self.scaler = scaler

    def fit(
        self, X: np.ndarray, *, k: int, random_state: int, n_init: int = 10, init: np.ndarray | None = None
    ) -> SegmentModel:
        """Fit K-Means on the standardised rows and number its segments by size (1 = the largest).

        Args:
            X: the standardised matrix, one row per customer. With `init` it is centred in place
                and put back rather than copied (a copy of ten million rows is 160 MB).
            k: number of segments.
            random_state: seed of K-Means.
            n_init: K-Means restarts of a fit from scratch (set, never scikit-learn's 'auto').
            init: start from these centres (k rows; a warm start: one run of Lloyd's iterations,
                `n_init` unused) instead of searching.

        Returns:
            self.

        Raises:
            ValueError: X is not a matrix, has too few rows, or `init` does not have k rows.
        """
        if X.ndim != 2 or len(X) <= k:
            raise ValueError(f"fit needs a matrix of more than k={k} rows; got shape {X.shape}")
        if init is not None and len(init) != k:
            raise ValueError(f"init has {len(init)} centres; k={k}")
        if init is not None:
            kmeans = refine(X, init, random_state=random_state)
        else:
            kmeans = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(X)
        self.kmeans_ = kmeans
        self.labels_ = kmeans.labels_
        self.inertia_ = float(kmeans.inertia_)
        self.segment_of_label_ = number_segments(kmeans.labels_, kmeans.cluster_centers_)
        self.library_versions_ = library_versions()
        return self

    @property
    def k(self) -> int:
        return len(self.segment_of_label_)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardise features in model space with the model's scaler (a new array)."""
        return self.scaler.transform(X)

    def predict_labels(self, X: np.ndarray) -> np.ndarray:
        """K-Means' own label of each standardised row (before our numbering)."""
        return self.kmeans_.predict(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The segment id of each standardised row."""
        return self.segment_of_label_[self.predict_labels(X)]

    def inertia(self, X: np.ndarray) -> float:
        """Sum of squared distances of the standardised rows to their nearest centre."""
        return float(-self.kmeans_.score(X))

    def segment_centres(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The segment ids ascending, their centres standardised, and the same in model space."""
        order = np.argsort(self.segment_of_label_)
        scaled = self.kmeans_.cluster_centers_[order]
        return self.segment_of_label_[order], scaled, self.scaler.inverse_transform(scaled)

    def renumbered(self, lookup: np.ndarray) -> SegmentModel:
        """A copy whose segment id s is called lookup[s] (the scaler and K-Means are shared)."""
        other = copy.copy(self)
        other.segment_of_label_ = np.asarray(lookup)[self.segment_of_label_]
        return other

    def to_bundle(self) -> dict[str, object]:
        """The dict a model file holds (see the module docstring)."""
        kmeans = copy.copy(self.kmeans_)
        if hasattr(kmeans, "labels_"):
            del kmeans.labels_  # one label per training row: megabytes nothing reads
        return {
            "features": list(self.features),
            "scaler": self.scaler,
            "kmeans": kmeans,
            "segment_of_label": self.segment_of_label_,
            "library_versions": self.library_versions_,
        }

    @classmethod
    def from_bundle(cls, bundle: object, *, source: str = "the bundle") -> SegmentModel:
        """A model from the dict a model file holds.

        Raises:
            ModelIntegrityError: it is not such a dict.
        """
        if not isinstance(bundle, dict) or (missing := [key for key in BUNDLE_KEYS if key not in bundle]):
            what = f"lacks {', '.join(missing)}" if isinstance(bundle, dict) else f"holds a {type(bundle).__name__}"
            raise ModelIntegrityError(f"{source} is not a segment model: it {what}")
        model = cls(bundle["features"], bundle["scaler"])
        model.kmeans_ = bundle["kmeans"]
        model.segment_of_label_ = np.asarray(bundle["segment_of_label"])
        model.library_versions_ = dict(bundle.get("library_versions") or {})
        return model

    def save(self, path: str | Path) -> str:
        """Write the model file atomically, and its library versions beside it; return its sha256."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        joblib.dump(self.to_bundle(), partial)
        partial.replace(path)
        (path.parent / VERSIONS_FILE).write_text(json.dumps(self.library_versions_, indent=2), encoding="utf-8")
        return sha256_file(path)

    @classmethod
    def load(cls, path: str | Path, *, sha256: str) -> SegmentModel:
        """Load a model file only if its bytes match the recorded sha256 (joblib runs pickles).

        Raises:
            ModelIntegrityError: the file is missing, its checksum differs, or it holds no model.
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
        return cls.from_bundle(joblib.load(path), source=f"model file {path}")
