"""Profile: what each segment looks like, and a business name derived from its centroid.

Names come from the data, not from a hand-written list per cluster: each feature of a
centroid is 'Low' below -0.5 standard deviations from the customers' mean, 'High' above
+0.5, 'Average' between; the name joins the features in settings order, e.g.
'High income · Low spending'. Two segments that land on the same words get ' (2)', ...
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.features import Features
from tasks.fit import FittedModel
from warehouse import scratch, sql

LEVEL_THRESHOLD = 0.5
FEATURE_WORDS = {
    "annual_income": ("Low income", "Average income", "High income"),
    "spending_score": ("Low spending", "Average spending", "High spending"),
    "age": ("Younger", "Middle-aged", "Older"),
}
PROFILED = ("age", "annual_income", "spending_score")


def level(z: float, *, threshold: float = LEVEL_THRESHOLD) -> int:
    """0 (low), 1 (average) or 2 (high) for a value `z` standard deviations from the mean."""
    return 0 if z < -threshold else 2 if z > threshold else 1


def segment_names(scaled_centroids: np.ndarray, features: tuple[str, ...]) -> list[str]:
    """Name each segment from its standardised centroid.

    Args:
        scaled_centroids: one row per segment (row 0 is segment 1), one column per feature.
        features: the feature names, in column order.

    Returns:
        One distinct name per segment.
    """
    names: list[str] = []
    for centroid in scaled_centroids:
        words = [FEATURE_WORDS[f][level(z)] for f, z in zip(features, centroid, strict=True)]
        base = " · ".join(words)
        repeats = sum(1 for name in names if name == base or name.startswith(base + " ("))
        names.append(base if repeats == 0 else f"{base} ({repeats + 1})")
    return names


def profile_segments(
    customers: pa.Table,
    segment_ids: np.ndarray,
    *,
    centroids: np.ndarray,
    names: list[str],
    features: tuple[str, ...],
) -> pd.DataFrame:
    """Summarise every segment (in DuckDB: medians of millions of rows in one pass).

    Args:
        customers: validated customers.
        segment_ids: segment id (1..k) per customer, in the table's row order.
        centroids: centroid per segment (row 0 is segment 1) in original units.
        names: name per segment, same order.
        features: the clustered columns, in centroid column order.

    Returns:
        One row per segment with the SegmentProfile columns except run_id and period.
    """
    with scratch() as con:
        con.register("customers_arrow", customers.append_column("segment_id", pa.array(segment_ids)))
        stats = con.execute(sql("profile_segments")).df()
    k = len(centroids)
    profile = pd.DataFrame({"segment_id": np.arange(1, k + 1), "segment_name": names})
    profile = profile.merge(stats, on="segment_id", how="left")
    for column in PROFILED:
        values = centroids[:, features.index(column)] if column in features else np.full(k, np.nan)
        profile[f"centroid_{column}"] = values
    return profile


@task(cache_policy=NO_CACHE)
def profile(customers: pa.Table, features: Features, model: FittedModel) -> pd.DataFrame:
    """Profile and name the fitted segments."""
    names = segment_names(model.scaled_centroids, features.names)
    table = profile_segments(
        customers, model.segment_ids, centroids=model.centroids, names=names, features=features.names
    )
    for row in table.itertuples():
        get_run_logger().info("segment %d %s: %d customers", row.segment_id, row.segment_name, row.n_customers)
    return table
