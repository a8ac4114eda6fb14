"""Continuity: what changed since the reference run (the nearest earlier period's).

Per run: which customers moved between segments (segment_transitions), the adjusted Rand index
between the two runs' segments over the customers in both, the share who kept their segment,
and per segment its size change and centroid shift (the distance between its members' mean
feature values in both runs, in the reference scaling's standard deviations). A drift flag is
raised when a segment's share of customers changes by more than SEGMENT_DRIFT_SIZE_CHANGE
(relative), its centroid shifts more than SEGMENT_DRIFT_CENTROID_SHIFT SDs, a segment appears or
retires, or the run's silhouette is below SEGMENT_DRIFT_MIN_SILHOUETTE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from scipy.special import comb

from segmentation.registry import FEATURES, mean_column, model_columns, to_model_space
from segmentation.results import FLAG_COLUMNS, LINEAGE_COLUMNS, Continuity, Identity
from segmentation.settings import Settings
from warehouse import Warehouse, queries


def ari_from_transitions(transitions: pd.DataFrame) -> float | None:
    """Adjusted Rand index of two partitions given their contingency table (the moves of the
    customers in both runs), so millions of customers never leave DuckDB to compute it.

    Returns:
        The ARI (1 = the same partition up to IDs), or None when no customer is in both runs.
    """
    both = transitions.dropna(subset=["from_segment", "to_segment"])
    n = both["n_customers"].sum()
    if n < 2:
        return None
    pairs = comb(both["n_customers"], 2).sum()
    rows = comb(both.groupby("from_segment")["n_customers"].sum(), 2).sum()
    cols = comb(both.groupby("to_segment")["n_customers"].sum(), 2).sum()
    expected = rows * cols / comb(n, 2)
    maximum = (rows + cols) / 2
    if maximum == expected:  # both partitions trivial: identical
        return 1.0
    return float((pairs - expected) / (maximum - expected))


def share_kept(transitions: pd.DataFrame) -> float | None:
    """Share of the customers in both runs whose segment ID stayed the same."""
    both = transitions.dropna(subset=["from_segment", "to_segment"])
    total = both["n_customers"].sum()
    if total == 0:
        return None
    return float(both.loc[both["from_segment"] == both["to_segment"], "n_customers"].sum() / total)


def _model_mean(column: str, profile: pd.Series) -> float:
    """A segment's members' mean of a model column, in model space (log1p where heavy-tailed)."""
    value = float(profile[mean_column(column)])
    return float(to_model_space(column, value)) if column in FEATURES else value


def complete_lineage(
    lineage: pd.DataFrame,
    profiles: pd.DataFrame,
    names: dict[int, str],
    reference_segments: pd.DataFrame | None,
    *,
    features: tuple[str, ...],
    scale: np.ndarray | None,
) -> pd.DataFrame:
    """Add sizes, shares and centroid shifts to the lineage (see the module docstring)."""
    now = profiles.set_index("segment_id")
    before = reference_segments.set_index("segment_id") if reference_segments is not None else None
    rows = []
    for entry in lineage.itertuples():
        sid = int(entry.segment_id)
        here = now.loc[sid] if sid in now.index else None
        there = before.loc[sid] if before is not None and sid in before.index else None
        shift = None
        if here is not None and there is not None and scale is not None:
            columns = model_columns(features)
            now_means = np.array([_model_mean(c, here) for c in columns])
            then_means = np.array([_model_mean(c, there) for c in columns])
            delta = (now_means - then_means) / scale
            shift = float(np.linalg.norm(delta))
        rows.append(
            {
                "segment_id": sid,
                "status": entry.status,
                "segment_name": names.get(sid),
                "reference_name": entry.reference_name,
                "n_customers": None if here is None else int(here["n_customers"]),
                "reference_n_customers": None if there is None else int(there["n_customers"]),
                "share": None if here is None else float(here["share"]),
                "reference_share": None if there is None else float(there["share"]),
                "size_change": None if here is None or there is None else float(here["share"] / there["share"] - 1),
                "match_distance": entry.match_distance,
                "centroid_shift": shift,
            }
        )
    return pd.DataFrame(rows, columns=LINEAGE_COLUMNS).sort_values(["status", "segment_id"]).reset_index(drop=True)


def drift_flags(
    lineage: pd.DataFrame,
    *,
    silhouette: float | None,
    size_change: float,
    centroid_shift: float,
    min_silhouette: float,
    compared: bool,
) -> pd.DataFrame:
    """Every drift flag the run raises, each with its reason in words."""
    flags = []
    if silhouette is not None and silhouette < min_silhouette:
        flags.append(
            (
                None,
                "low_silhouette",
                silhouette,
                min_silhouette,
                f"silhouette {silhouette:.3f} is below {min_silhouette:g}",
            )
        )
    for row in lineage.itertuples() if compared else ():
        name = row.segment_name if pd.notna(row.segment_name) else row.reference_name
        if row.status == "new":
            flags.append((row.segment_id, "new_segment", None, None, f"segment {row.segment_id} {name!r} is new"))
        elif row.status == "retired":
            flags.append(
                (row.segment_id, "retired_segment", None, None, f"segment {row.segment_id} {name!r} has no successor")
            )
        if pd.notna(row.size_change) and abs(row.size_change) > size_change:
            flags.append(
                (
                    row.segment_id,
                    "size_change",
                    row.size_change,
                    size_change,
                    f"segment {row.segment_id} {name!r} went from {row.reference_share:.1%} to {row.share:.1%} "
                    f"of customers ({row.size_change:+.0%})",
                )
            )
        if pd.notna(row.centroid_shift) and row.centroid_shift > centroid_shift:
            flags.append(
                (
                    row.segment_id,
                    "centroid_shift",
                    row.centroid_shift,
                    centroid_shift,
                    f"segment {row.segment_id} {name!r} moved {row.centroid_shift:.2f} SD",
                )
            )
    return pd.DataFrame(flags, columns=FLAG_COLUMNS).astype({"segment_id": "Int64"})


@task(cache_policy=NO_CACHE)
def compare(
    settings: Settings,
    warehouse: Warehouse,
    identity: Identity,
    customers: pa.Table,
    profiles: pd.DataFrame,
    features: tuple[str, ...],
) -> Continuity:
    """Measure the run against its reference: transitions, agreement, drift."""
    reference = identity.reference
    compared = reference is not None and reference.earlier
    transitions = pd.DataFrame(columns=["from_segment", "to_segment", "n_customers"])
    reference_segments = None
    if reference is not None:
        with warehouse.write() as con:
            reference_segments = queries.segments_of_run(con, reference.run_id)
            if compared:
                assignments = pa.table(
                    {"customer_id": customers.column("customer_id"), "segment_id": identity.assignment.segment_ids}
                )
                transitions = queries.transitions(con, reference.run_id, assignments)
    lineage = complete_lineage(
        identity.lineage,
        profiles,
        identity.names,
        reference_segments,
        features=features,
        scale=None if reference is None else reference.scale,
    )
    flags = drift_flags(
        lineage,
        silhouette=identity.assignment.scores.get("silhouette"),
        size_change=settings.drift_size_change,
        centroid_shift=settings.drift_centroid_shift,
        min_silhouette=settings.drift_min_silhouette,
        compared=compared,
    )
    both = transitions.dropna(subset=["from_segment", "to_segment"])
    continuity = Continuity(
        matched_run_id=None if reference is None else reference.run_id,
        compared_run_id=reference.run_id if compared else None,
        compared_period=reference.period if compared else None,
        lineage=lineage,
        transitions=transitions,
        flags=flags,
        common_customers=int(both["n_customers"].sum()) if compared else None,
        ari=ari_from_transitions(transitions) if compared else None,
        kept_share=share_kept(transitions) if compared else None,
    )
    logger = get_run_logger()
    if compared:
        logger.info(
            "against %s: ARI %.3f, %.1f%% kept their segment, %d drift flag(s)",
            reference.period,
            continuity.ari or 0.0,
            100 * (continuity.kept_share or 0.0),
            len(flags),
        )
    for reason in flags["reason"]:
        logger.warning("drift: %s", reason)
    return continuity
