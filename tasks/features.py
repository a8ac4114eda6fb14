"""Features: the clustered columns as one float matrix, standardised; the scaler is kept with
the model. Also the seeded sample of rows that k is chosen on, so that choosing k costs the
same for a million customers as for fifty thousand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sklearn.preprocessing import StandardScaler

from schemas.columns import CANONICAL_HEADERS
from schemas.features import label, to_model_space
from tasks.errors import DataError
from tasks.settings import Settings


@dataclass(frozen=True)
class Features:
    """The scaled feature matrix, in the row order of the validated rows."""

    names: tuple[str, ...]
    scaled: np.ndarray  # (customers, features), float64, standardised
    scaler: StandardScaler
    selection: np.ndarray  # sorted row numbers of the k-selection sample (every row when small)

    @property
    def selection_matrix(self) -> np.ndarray:
        """The rows candidate k are fitted and scored on."""
        return self.scaled if len(self.selection) == len(self.scaled) else self.scaled[self.selection]


def feature_matrix(
    customers: pa.Table, features: tuple[str, ...], *, k_min: int, check_variance: bool = True
) -> np.ndarray:
    """Select the feature columns as a float matrix in model space, refusing data that cannot be clustered.

    Args:
        customers: validated customers.
        features: columns to cluster on.
        k_min: the smallest k that will be tried; there must be more rows than that.
        check_variance: refuse a constant feature (a fit needs spread; scoring does not).

    Returns:
        An (n_rows, n_features) float64 array of its own (callers may scale it in place).

    Raises:
        DataError: too few rows, or a feature that does not vary.
    """
    if customers.num_rows <= k_min:
        raise DataError(
            f"{customers.num_rows} customer(s) cannot be split into {k_min} or more segments: "
            f"need more than {k_min} rows"
        )
    matrix = np.empty((customers.num_rows, len(features)), dtype=np.float64)
    for i, name in enumerate(features):
        # Heavy-tailed counts and money are clustered on log1p (schemas/features.py).
        matrix[:, i] = to_model_space(name, customers.column(name).to_numpy().astype(np.float64))
    constant = [i for i in range(len(features)) if check_variance and np.ptp(matrix[:, i]) == 0]
    if constant:
        values = ", ".join(
            f"{CANONICAL_HEADERS.get(features[i], label(features[i]))} = {customers.column(features[i])[0].as_py():g}"
            for i in constant
        )
        raise DataError(
            f"feature(s) with zero variance, every row has the same value ({values}): "
            "they cannot separate customers; drop them from SEGMENT_FEATURES or check the source"
        )
    return matrix


def scale(matrix: np.ndarray) -> tuple[np.ndarray, StandardScaler]:
    """Standardise each column to mean 0 and unit variance, in place; return it and the scaler."""
    scaler = StandardScaler(copy=False)
    scaled = scaler.fit_transform(matrix)
    # Saved with the model: from here on it must leave its callers' arrays alone.
    return scaled, scaler.set_params(copy=True)


def selection_sample(n_rows: int, size: int, *, random_state: int) -> np.ndarray:
    """Sorted row numbers of a seeded sample of `size` rows; every row when there are no more."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).choice(n_rows, size=size, replace=False))


@task(cache_policy=NO_CACHE)
def build_features(settings: Settings, customers: pa.Table, source: str) -> Features:
    """Select and scale the configured features; draw the k-selection sample."""
    try:
        matrix = feature_matrix(customers, settings.features, k_min=min(settings.candidate_ks))
    except DataError as error:
        raise DataError(f"{source}: {error}") from None
    scaled, scaler = scale(matrix)
    selection = selection_sample(len(scaled), settings.k_sample_size, random_state=settings.random_state)
    get_run_logger().info(
        "features %s scaled over %d rows; k is chosen on %d of them",
        list(settings.features),
        len(scaled),
        len(selection),
    )
    return Features(settings.features, scaled, scaler, selection)


def scaling_of(scaler: StandardScaler, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """A scaler's mean and scale per feature, as the run records them (its common space)."""
    return {
        name: {"mean": float(mean), "scale": float(scale)}
        for name, mean, scale in zip(names, scaler.mean_, scaler.scale_, strict=True)
    }
