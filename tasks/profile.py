"""Profile: what each segment looks like: size, share, means and medians, gender mix, centre,
and a rule in original units that selects it (`segmentation.rules`). Names come from `tasks.identity`
(worded by `segmentation.naming`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.registry import FEATURES, NUMERIC_FEATURES, model_columns, to_original
from segmentation.results import Assignment
from segmentation.rules import segment_rules
from segmentation.settings import Settings
from warehouse import scratch, sql

PROFILED = NUMERIC_FEATURES  # every profile has a mean, median and centre column per numeric feature


def profile_segments(
    customers: pa.Table,
    segment_ids: np.ndarray,
    *,
    ids: np.ndarray,
    centroids: np.ndarray,
    names: dict[int, str],
    features: tuple[str, ...],
) -> pd.DataFrame:
    """Summarise every segment (in DuckDB: medians of millions of rows in one pass).

    Args:
        customers: validated customers.
        segment_ids: segment id per customer, in the table's row order.
        ids: the segment ids, in the row order of `centroids`.
        centroids: centroid per segment in model space (see segmentation/registry.py).
        names: name per segment id.
        features: the clustered columns, in centroid column order.

    Returns:
        One row per segment, by id, with the SegmentProfile columns except run_id and period.
    """
    present = [c for c in PROFILED if c in customers.column_names]
    labelled = pa.table({"segment_id": pa.array(segment_ids)})
    with scratch() as con:
        con.register("profiled_arrow", customers.select(present).append_column("segment_id", labelled.column(0)))
        stats = con.execute(sql("compute/profile_segments")).df().rename(columns={c: f"mean_{c}" for c in present})
        medians = con.execute(sql("compute/profile_medians")).df().rename(columns={c: f"median_{c}" for c in present})
        if "gender" in customers.column_names:
            con.register(
                "gendered_arrow", pa.table({"segment_id": labelled.column(0), "gender": customers.column("gender")})
            )
            genders = con.execute(sql("compute/profile_genders")).df()
        else:
            genders = pd.DataFrame({"segment_id": stats["segment_id"], "share_female": np.nan, "share_male": np.nan})
    profile = pd.DataFrame({"segment_id": ids, "segment_name": [names[int(i)] for i in ids]})
    profile = profile.merge(stats, on="segment_id", how="left").merge(medians, on="segment_id", how="left")
    profile = profile.merge(genders, on="segment_id", how="left")
    for column in PROFILED:
        for stat in ("mean", "median"):
            if f"{stat}_{column}" not in profile:
                profile[f"{stat}_{column}"] = np.nan
        # Centres in original units: the model clusters on log1p where a feature is heavy-tailed.
        columns = model_columns(features)
        values = to_original(column, centroids[:, columns.index(column)]) if column in features else np.nan
        profile[f"centroid_{column}"] = values
    return profile.sort_values("segment_id").reset_index(drop=True)


def rule_values(customers: pa.Table, feature: str) -> np.ndarray:
    """A feature's values for rules, in original units; a categorical one as 1 for its first level."""
    levels = FEATURES[feature].levels
    if levels:
        return (np.asarray(customers.column(feature).to_pylist(), dtype=object) == levels[0]).astype(np.float64)
    return customers.column(feature).to_numpy()


@task(cache_policy=NO_CACHE)
def profile(
    settings: Settings, customers: pa.Table, features: tuple[str, ...], model: Assignment, names: dict[int, str]
) -> pd.DataFrame:
    """Profile the segments and describe each with a rule."""
    table = profile_segments(
        customers, model.segment_ids, ids=model.ids, centroids=model.centroids, names=names, features=features
    )
    rules = segment_rules(
        {f: rule_values(customers, f) for f in features},
        model.segment_ids,
        sample_size=settings.k_sample_size,
        random_state=settings.random_state,
        currency=settings.currency,
    )
    table = table.merge(rules, on="segment_id", how="left")
    for row in table.itertuples():
        get_run_logger().info("segment %d %s: %d customers", row.segment_id, row.segment_name, row.n_customers)
    return table
