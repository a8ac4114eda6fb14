"""Features: the clustered columns, checked and standardised; the scaler is kept with the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sklearn.preprocessing import StandardScaler

from schemas.input import CANONICAL_HEADERS
from tasks.errors import DataError
from tasks.settings import Settings


@dataclass(frozen=True)
class Features:
    """The scaled feature matrix, in the row order of the validated frame."""

    names: tuple[str, ...]
    scaled: np.ndarray
    scaler: StandardScaler


def feature_matrix(customers: pd.DataFrame, features: tuple[str, ...], *, k_min: int) -> np.ndarray:
    """Select the feature columns as a float matrix, refusing data that cannot be clustered.

    Args:
        customers: validated customers.
        features: columns to cluster on.
        k_min: the smallest k that will be tried; there must be more rows than that.

    Returns:
        An (n_rows, n_features) float64 array.

    Raises:
        DataError: too few rows, or a feature that does not vary.
    """
    if len(customers) <= k_min:
        raise DataError(
            f"{len(customers)} customer(s) cannot be split into {k_min} or more segments: need more than {k_min} rows"
        )
    matrix = customers[list(features)].to_numpy(dtype=np.float64)
    spread = matrix.max(axis=0) - matrix.min(axis=0)
    constant = [name for name, width in zip(features, spread, strict=True) if width == 0]
    if constant:
        values = ", ".join(f"{CANONICAL_HEADERS[c]} = {float(customers[c].iloc[0]):g}" for c in constant)
        raise DataError(
            f"feature(s) with zero variance, every row has the same value ({values}): "
            "they cannot separate customers; drop them from SEGMENT_FEATURES or check the source"
        )
    return matrix


def scale(matrix: np.ndarray) -> tuple[np.ndarray, StandardScaler]:
    """Standardise each column to mean 0 and unit variance; return the data and the scaler."""
    scaler = StandardScaler()
    return scaler.fit_transform(matrix), scaler


@task(cache_policy=NO_CACHE)
def build_features(settings: Settings, customers: pd.DataFrame, source: str) -> Features:
    """Select and scale the configured features."""
    try:
        matrix = feature_matrix(customers, settings.features, k_min=min(settings.candidate_ks))
    except DataError as error:
        raise DataError(f"{source}: {error}") from None
    scaled, scaler = scale(matrix)
    get_run_logger().info("features %s scaled over %d rows", list(settings.features), len(scaled))
    return Features(settings.features, scaled, scaler)
