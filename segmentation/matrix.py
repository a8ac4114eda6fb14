"""The model matrix: the clustered columns as one float matrix in model space, standardised, and
the seeded samples drawn from it. Shared by fitting (tasks/features.py), scoring (tasks/score.py)
and publishing (tasks/publish.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from sklearn.preprocessing import StandardScaler

from schemas.columns import CANONICAL_HEADERS
from segmentation.errors import DataError, too_few_customers
from segmentation.registry import FEATURES, is_one_hot, label, model_columns, to_model_space


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
    if error := too_few_customers(customers.num_rows, k_min):
        raise error
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


def scaling_of(scaler: StandardScaler, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """A scaler's mean and scale per model column of the features, as the run records them (its common space)."""
    return {
        name: {"mean": float(mean), "scale": float(scale)}
        for name, mean, scale in zip(model_columns(names), scaler.mean_, scaler.scale_, strict=True)
    }
