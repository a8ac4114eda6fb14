"""Features: the clustered columns as one float matrix, standardised; the scaler is kept with
the model. Also the seeded sample of rows that k is chosen on, so that choosing k costs the
same for a million customers as for fifty thousand."""

from __future__ import annotations

import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.errors import DataError
from segmentation.matrix import feature_matrix, scale, selection_sample
from segmentation.registry import model_columns
from segmentation.results import Features
from segmentation.settings import Settings


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
