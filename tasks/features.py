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
from segmentation.errors import DataError
from segmentation.registry import FEATURES, is_one_hot, label, model_columns, to_model_space
from segmentation.settings import Settings


@dataclass(frozen=True)
class Features:
    """The scaled feature matrix, in the row order of the validated rows."""

    names: tuple[str, ...]
    scaled: np.ndarray  # (customers, features), float64, standardised
    scaler: StandardScaler
    selection: np.ndarray  # sorted row numbers of the k-selection sample (every row when small)

    @property
    def columns(self) -> tuple[str, ...]:
        """The matrix's columns: the features, a categorical one as one column per level."""
        return model_columns(self.names)

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
    blocks = [_model_block(customers, name) for name in features]
    matrix = np.column_stack(blocks) if len(blocks) > 1 else blocks[0].reshape(len(blocks[0]), -1).copy()
    constant = [i for i, block in enumerate(blocks) if check_variance and np.ptp(block) == 0]
    if constant:
        values = ", ".join(
            f"{CANONICAL_HEADERS.get(features[i], label(features[i]))} = {_shown(customers.column(features[i])[0])}"
            for i in constant
        )
        raise DataError(
            f"feature(s) with zero variance, every row has the same value ({values}): "
            "they cannot separate customers; drop them from SEGMENT_FEATURES or check the source"
        )
    return matrix


def _model_block(customers: pa.Table, name: str) -> np.ndarray:
    """A feature's column(s) in model space: log1p where heavy-tailed, one-hot for a categorical one."""
    column = customers.column(name)
    feature = FEATURES[name]
    if feature.categorical:
        if column.null_count:
            raise DataError(
                f"{column.null_count} customer(s) have no {name}: every customer needs one to cluster on it"
            )
        values = np.asarray(column.to_pylist(), dtype=object)
        return np.column_stack([(values == level).astype(np.float64) for level in feature.levels])
    # Heavy-tailed counts and money are clustered on log1p (segmentation/registry.py).
    return to_model_space(name, column.to_numpy().astype(np.float64))


def _shown(value: pa.Scalar) -> str:
    plain = value.as_py()
    return f"{plain:g}" if isinstance(plain, int | float) else str(plain)


def scale(
    matrix: np.ndarray, columns: tuple[str, ...] = (), *, categorical_weight: float = 1.0
) -> tuple[np.ndarray, StandardScaler]:
    """Standardise each numeric column to mean 0 and unit variance, in place; return it and the scaler.

    One-hot columns (by name in `columns`) are not standardised (their variance depends on how
    rare a level is, and would let a rare level dominate): each is multiplied by
    categorical_weight / sqrt(2), so two customers who differ only in the category are
    `categorical_weight` standard deviations apart.
    """
    scaler = StandardScaler(copy=False).fit(matrix)
    for i, column in enumerate(columns):
        if is_one_hot(column):
            scaler.mean_[i] = 0.0
            scaler.scale_[i] = np.sqrt(2.0) / categorical_weight
            scaler.var_[i] = scaler.scale_[i] ** 2
    scaled = scaler.transform(matrix)
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
    scaled, scaler = scale(matrix, model_columns(settings.features), categorical_weight=settings.categorical_weight)
    selection = selection_sample(len(scaled), settings.k_sample_size, random_state=settings.random_state)
    get_run_logger().info(
        "features %s scaled over %d rows; k is chosen on %d of them",
        list(settings.features),
        len(scaled),
        len(selection),
    )
    return Features(settings.features, scaled, scaler, selection)


def scaling_of(scaler: StandardScaler, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """A scaler's mean and scale per model column of the features, as the run records them (its common space)."""
    return {
        name: {"mean": float(mean), "scale": float(scale)}
        for name, mean, scale in zip(model_columns(names), scaler.mean_, scaler.scale_, strict=True)
    }
