"""Identity: a segment's ID and name are ours, and they last from period to period.

IDs. The first run ever numbers its segments by size (1 = the largest, ties broken by centroid).
Every later run matches its segments to a reference run's by optimal assignment (scipy's
`linear_sum_assignment`) on the distance between centroids, measured in the reference run's
standard deviations (its StandardScaler: a common space for both runs), and a matched segment
inherits the reference segment's ID. A pair further apart than SEGMENT_MATCH_MAX_DISTANCE
(default 1.0 SD) is no match: the new segment gets an ID never used before in the warehouse
(the largest ever issued + 1, in size order) and the reference segment is retired.

Customers. When most of this run's customers were also in the reference run, who is in a
segment counts too: the cost of a pair is its distance times (1 - the Jaccard overlap of their
common customers), and a pair whose overlap is at least MIN_OVERLAP (0.5) matches however far its
centre moved. A segment that lost the customers on one side keeps its ID, instead of being
retired and reborn under the same name.

The reference is the newest succeeded run of the nearest earlier period. A rerun of a period
uses the reference its period's current run used, and may also match the IDs that run issued,
so a rerun or a reseeded fit of the same data gives every customer the same ID. A period older
than every other (a backfill) matches the nearest later period instead, for IDs only. Runs on
different features share no space: their segments get new IDs.

Names come from where each segment's customers fall in the period's distribution (their medians
against the population's quantiles, `segmentation.naming.segment_stats`, computed here from the
fitted assignment), in the words of segmentation/registry.py; a matched segment keeps the words of
its previous name while they still hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from scipy.optimize import linear_sum_assignment

from segmentation.model import SegmentModel
from segmentation.naming import segment_names, segment_stats, tell_apart
from segmentation.periods import Period
from segmentation.registry import FEATURES, centre_column, model_columns, to_model_space
from segmentation.results import Assignment, Features, Identity, Reference, ScoringModel
from segmentation.settings import Settings
from warehouse import Warehouse, queries
from warehouse.queries import Connection

MIN_OVERLAP = 0.5  # Jaccard overlap of two segments' common customers that makes them one segment
MIN_PERSISTING = 0.5  # share of this run's customers that must be in the reference for overlap to count


def match(
    centroids: np.ndarray,
    pool: np.ndarray,
    *,
    scale: np.ndarray,
    max_distance: float,
    overlap: np.ndarray | None = None,
    min_overlap: float = MIN_OVERLAP,
) -> list[tuple[int, int, float]]:
    """Pair new segments with pool segments at the smallest total cost: centroid distance, less
    where the two share customers.

    Args:
        centroids: new segments' centroids, original units (one row each).
        pool: candidate segments' centroids, original units.
        scale: the common space's standard deviation per feature.
        max_distance: pairs further apart than this (in standard deviations) do not match...
        overlap: ... unless their customers overlap (Jaccard, new rows x pool rows) by at least
            `min_overlap`; None where customers do not persist between the runs.
        min_overlap: see `overlap`.

    Returns:
        (new row, pool row, distance) for every accepted pair.
    """
    if len(centroids) == 0 or len(pool) == 0:
        return []
    distance = np.linalg.norm((centroids[:, None, :] - pool[None, :, :]) / scale, axis=2)
    cost = distance if overlap is None else distance * (1 - overlap)
    rows, cols = linear_sum_assignment(cost)
    return [
        (int(r), int(c), float(distance[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if distance[r, c] <= max_distance or (overlap is not None and overlap[r, c] >= min_overlap)
    ]


def overlap_matrix(
    transitions: pd.DataFrame, new_ids: np.ndarray, pool_ids: np.ndarray, *, n_customers: int
) -> np.ndarray | None:
    """Jaccard overlap of each new segment with each pool segment, over the customers in both runs.

    Args:
        transitions: from_segment (pool ID), to_segment (new ID), n_customers; NULL on either side
            for customers in one run only.
        new_ids, pool_ids: the row order of the result.
        n_customers: this run's customers.

    Returns:
        (new rows x pool rows) in [0, 1], or None when fewer than MIN_PERSISTING of this run's
        customers were in the reference run (then who is where says little).
    """
    both = transitions.dropna(subset=["from_segment", "to_segment"])
    if n_customers == 0 or both["n_customers"].sum() < MIN_PERSISTING * n_customers:
        return None
    counts = both.pivot_table(index="to_segment", columns="from_segment", values="n_customers", aggfunc="sum")
    counts = counts.reindex(index=list(new_ids), columns=list(pool_ids)).fillna(0).to_numpy(dtype=float)
    union = counts.sum(axis=1, keepdims=True) + counts.sum(axis=0, keepdims=True) - counts
    return np.divide(counts, union, out=np.zeros_like(counts), where=union > 0)


def assign_ids(n_new: int, pairs: list[tuple[int, int, float]], pool_ids: np.ndarray, next_id: int) -> np.ndarray:
    """The lasting ID of each new segment (rows in size order): its match's, or the next unused."""
    ids = np.zeros(n_new, dtype=np.int64)
    for row, col, _ in pairs:
        ids[row] = pool_ids[col]
    for row in range(n_new):  # rows are in size order, so new IDs are too
        if ids[row] == 0:
            ids[row] = next_id
            next_id += 1
    return ids


def lineage_rows(ids: np.ndarray, pairs: list[tuple[int, int, float]], pool: pd.DataFrame | None) -> pd.DataFrame:
    """One row per new segment (matched or new) and per reference segment left without a successor."""
    rows = []
    matched_pool = {col: (row, dist) for row, col, dist in pairs}
    by_row = {row: (col, dist) for row, col, dist in pairs}
    for row, segment_id in enumerate(ids):
        col, dist = by_row.get(row, (None, None))
        rows.append(
            {
                "segment_id": int(segment_id),
                "status": "matched" if col is not None else "new",
                "reference_name": pool.iloc[col]["segment_name"] if col is not None else None,
                "match_distance": dist,
            }
        )
    if pool is not None:
        for col, entry in enumerate(pool.itertuples()):
            if entry.in_reference and col not in matched_pool:
                rows.append(
                    {
                        "segment_id": int(entry.segment_id),
                        "status": "retired",
                        "reference_name": entry.segment_name,
                        "match_distance": None,
                    }
                )
    return pd.DataFrame(rows, columns=["segment_id", "status", "reference_name", "match_distance"])


def run_scaling(con: Connection, run_id: str) -> tuple[tuple[str, ...], dict[str, tuple[float, float]]] | None:
    """A run's features and their (mean, scale); from its model file for runs made before 005."""
    row = queries.run_for_matching(con, run_id)
    features = tuple(row[0].split(","))
    if row[1]:
        stored = json.loads(row[1])
        return features, {c: (stored[c]["mean"], stored[c]["scale"]) for c in model_columns(features)}
    if not row[2] or not Path(row[2]).is_file():
        return None
    scaler = SegmentModel.load(row[2], sha256=row[3]).scaler
    columns = model_columns(features)
    return features, {c: (float(m), float(s)) for c, m, s in zip(columns, scaler.mean_, scaler.scale_, strict=True)}


def load_reference(con: Connection, period: Period, features: tuple[str, ...]) -> Reference | None:
    """The run to match against, with the pool of segments a new run may continue (see module doc)."""
    prior = queries.period_run(con, period.label)
    if prior:
        reference_id = prior[1]
    else:
        earlier = queries.earlier_run(con, period.start)
        reference_id = earlier or queries.later_run(con, period.end)
    anchor = reference_id or (prior[0] if prior else None)
    if anchor is None:
        return None
    space = run_scaling(con, anchor)
    if space is None or space[0] != features:
        return None
    scaling = space[1]
    pool = _segments(con, reference_id, features).assign(in_reference=True) if reference_id else None
    if prior:
        extra = _segments(con, prior[0], features)
        if pool is not None:
            extra = extra[~extra["segment_id"].isin(pool["segment_id"])]
        pool = (
            pd.concat([pool, extra.assign(in_reference=False)], ignore_index=True)
            if pool is not None
            else extra.assign(in_reference=False)
        )
    info = queries.run_for_matching(con, anchor)
    return Reference(
        run_id=anchor,
        period=info[4],
        period_end=info[5],
        mean=np.array([scaling[c][0] for c in model_columns(features)]),
        scale=np.array([scaling[c][1] for c in model_columns(features)]),
        pool=pool.reset_index(drop=True),
        earlier=info[5] < period.start,
    )


def _segments(con: Connection, run_id: str, features: tuple[str, ...]) -> pd.DataFrame:
    frame = queries.segments_of_run(con, run_id)
    # Stored in original units; matched in model space (log1p where heavy-tailed; a one-hot column's
    # centre is the segment's share of its level), like the model's own.
    columns = model_columns(features)
    centroids = np.empty((len(frame), len(columns)))
    for i, column in enumerate(columns):
        stored = frame[centre_column(column)].to_numpy(dtype=float)
        centroids[:, i] = to_model_space(column, stored) if column in FEATURES else stored
    return pd.DataFrame(
        {"segment_id": frame["segment_id"], "segment_name": frame["segment_name"], "centroid": list(centroids)}
    )


def identify_segments(
    model: Assignment,
    features: tuple[str, ...],
    reference: Reference | None,
    *,
    next_id: int,
    max_distance: float,
    values: Mapping[str, np.ndarray],
    overlap: np.ndarray | None = None,
    random_state: int = 0,
) -> Identity:
    """Give a fitted model's segments their lasting IDs and names.

    Args:
        model: the fitted model, segments numbered by size.
        features: the features, in the model's column order.
        reference: what to match against (None: the first run, or no common space).
        next_id: the smallest ID never issued in the warehouse.
        max_distance: the largest centroid distance (reference SDs) that still matches.
        values: per customer (model.segment_ids order), the features names are worded from
            (`naming_values`): at least the clustered ones.
        overlap: Jaccard overlap of customers, model.ids rows x pool rows (see `overlap_matrix`).
        random_state: seed of the sample the period's quantiles are read on (beyond a million customers).

    Returns:
        The identity of every segment.
    """
    if reference is None:
        ids = np.arange(next_id, next_id + len(model.ids))
        pairs: list[tuple[int, int, float]] = []
        pool = None
    else:
        pool = reference.pool
        width = len(model_columns(features))
        pool_centroids = np.vstack(pool["centroid"].to_numpy()) if len(pool) else np.empty((0, width))
        pairs = match(
            model.centroids, pool_centroids, scale=reference.scale, max_distance=max_distance, overlap=overlap
        )
        ids = assign_ids(len(model.ids), pairs, pool["segment_id"].to_numpy(), next_id)
    renumbered = model.renumbered(ids)
    previous_by_id = {}
    if pool is not None:
        previous_by_id = {int(ids[row]): pool.iloc[col]["segment_name"] for row, col, _ in pairs}
    previous = [previous_by_id.get(int(i)) for i in renumbered.ids]
    stats = segment_stats(values, renumbered.segment_ids, renumbered.ids, random_state=random_state)
    names = segment_names(stats, features, previous)
    if pool is not None:
        names = tell_apart(names, renumbered.ids, renumbered.centroids, pool, features, reference.scale, stats)
    lineage = lineage_rows(ids, pairs, pool)
    return Identity(renumbered, dict(zip(renumbered.ids.tolist(), names, strict=True)), reference, lineage)


def naming_values(customers: pa.Table, features: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The columns names are worded from, as they are (whole numbers stay integers: they are counted,
    not sorted): the clustered features, each categorical one as 1.0 for its first level; and for
    order histories frequency (for "One-time") and tenure (for "New"), clustered or not. Columns with
    gaps (attributes some customers lack) are left out."""
    wanted = [*features, *(f for f in ("frequency", "tenure_days") if f not in features)]
    values = {}
    for name in wanted:
        if name not in customers.column_names or customers.column(name).null_count:
            continue
        column = customers.column(name)
        if FEATURES[name].categorical:
            values[name] = (np.asarray(column.to_pylist(), dtype=object) == FEATURES[name].levels[0]).astype(float)
        else:
            values[name] = column.to_numpy()
    return values


def customer_overlap(
    con: Connection, reference: Reference, customers: pa.Table, assignment: Assignment
) -> np.ndarray | None:
    """The overlap of the fitted segments (assignment.ids rows) with the pool's, by customer_id."""
    ours = pa.table({"customer_id": customers.column("customer_id"), "segment_id": assignment.segment_ids})
    transitions = queries.transitions(con, reference.run_id, ours)
    return overlap_matrix(
        transitions, assignment.ids, reference.pool["segment_id"].to_numpy(), n_customers=customers.num_rows
    )


def identity_of_scored(assignment: Assignment, names: dict[int, str], reference: Reference | None) -> Identity:
    """A scored run's segments keep the model's IDs; the lineage pairs them with the reference's by ID."""
    pool = None if reference is None else reference.pool
    pairs = []
    if pool is not None:
        position = {int(sid): col for col, sid in enumerate(pool["segment_id"])}
        for row, sid in enumerate(assignment.ids):
            if int(sid) in position:
                col = position[int(sid)]
                distance = np.linalg.norm((assignment.centroids[row] - pool.iloc[col]["centroid"]) / reference.scale)
                pairs.append((row, col, float(distance)))
    names = {int(i): names[int(i)] for i in assignment.ids}
    return Identity(assignment, names, reference, lineage_rows(assignment.ids, pairs, pool))


@task(cache_policy=NO_CACHE)
def identify(
    settings: Settings,
    warehouse: Warehouse,
    period: Period,
    features: Features,
    assignment: Assignment,
    customers: pa.Table,
) -> Identity:
    """Match the fitted segments to the reference run's (by centre, and by customers where they
    persist); issue IDs and names."""
    with warehouse.write() as con:
        reference = load_reference(con, period, features.names)
        next_id = queries.max_segment_id(con) + 1
        overlap = None
        if reference is not None and len(reference.pool):
            overlap = customer_overlap(con, reference, customers, assignment)
    identity = identify_segments(
        assignment,
        features.names,
        reference,
        next_id=next_id,
        max_distance=settings.match_max_distance,
        values=naming_values(customers, features.names),
        overlap=overlap,
        random_state=settings.random_state,
    )
    logger = get_run_logger()
    if reference is None:
        logger.info("no run to match against: segments numbered by size from %d", identity.assignment.ids.min())
    else:
        counts = identity.lineage["status"].value_counts().to_dict()
        logger.info("segments matched to run %s (%s): %s", reference.run_id, reference.period, counts)
    return identity


@task(cache_policy=NO_CACHE)
def identify_scored(warehouse: Warehouse, period: Period, model: ScoringModel, assignment: Assignment) -> Identity:
    """Pair the scored segments with the reference run's for lineage, transitions and drift."""
    with warehouse.write() as con:
        reference = load_reference(con, period, model.features)
    return identity_of_scored(assignment, model.names, reference)
