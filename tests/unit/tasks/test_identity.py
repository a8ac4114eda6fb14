"""Lasting segment IDs: the pure parts (matching, IDs, lineage, names from the fitted assignment); the words
themselves are tests/unit/segmentation/test_naming.py."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from segmentation.matrix import scale
from segmentation.model import SegmentModel
from segmentation.results import Assignment
from tasks.identity import (
    Identity,
    Reference,
    assign_ids,
    identify_segments,
    lineage_rows,
    match,
    naming_values,
    overlap_matrix,
)

FEATURES = ("annual_income", "spending_score")


def test_matching_is_optimal_in_the_reference_scaling_and_refuses_far_pairs() -> None:
    pool = np.array([[20.0, 80.0], [80.0, 20.0], [50.0, 50.0]])
    new = np.array([[50.0, 52.0], [21.0, 79.0], [120.0, 120.0]])
    pairs = match(new, pool, scale=np.array([25.0, 25.0]), max_distance=1.0)
    assert [(r, c) for r, c, _ in pairs] == [(0, 2), (1, 0)]  # the third is over 1 SD from everything
    assert pairs[0][2] == pytest.approx(2 / 25)


def test_ids_are_inherited_or_issued_above_everything_used_in_size_order() -> None:
    pairs = [(0, 2, 0.1), (2, 0, 0.2)]
    assert assign_ids(4, pairs, np.array([3, 5, 7]), next_id=9).tolist() == [7, 9, 3, 10]


def test_lineage_lists_matched_new_and_retired() -> None:
    pool = pd.DataFrame({"segment_id": [3, 5, 7], "segment_name": ["A", "B", "C"], "in_reference": [True, True, False]})
    rows = lineage_rows(np.array([7, 9, 3]), [(0, 2, 0.1), (2, 0, 0.2)], pool)
    assert rows[["segment_id", "status", "reference_name"]].fillna("-").values.tolist() == [
        [7, "matched", "C"],
        [9, "new", "-"],
        [3, "matched", "A"],
        [5, "retired", "B"],  # C was not in the reference (a same-period ID): never "retired"
    ]


def test_customers_who_stay_together_keep_their_segment_however_far_its_centre_moved() -> None:
    pool = np.array([[20.0, 80.0], [90.0, 20.0]])
    new = np.array([[21.0, 79.0], [130.0, 30.0]])  # the second moved 1.7 SD: lost one side
    scale = np.array([25.0, 25.0])
    assert [(r, c) for r, c, _ in match(new, pool, scale=scale, max_distance=1.0)] == [(0, 0)]
    transitions = pd.DataFrame(
        {
            "from_segment": [1, 2, 2, None],
            "to_segment": [10, 11, None, 11],  # 2's customers that stayed are all in 11; 5 newcomers
            "n_customers": [50, 18, 17, 5],
        }
    )
    overlap = overlap_matrix(transitions, np.array([10, 11]), np.array([1, 2]), n_customers=73)
    assert overlap[0, 0] == pytest.approx(1.0)
    assert overlap[1, 1] == pytest.approx(1.0)  # over the customers in both runs: the 17 who left do not count
    assert overlap[0, 1] == overlap[1, 0] == 0
    pairs = match(new, pool, scale=scale, max_distance=1.0, overlap=overlap)
    assert [(r, c) for r, c, _ in pairs] == [(0, 0), (1, 1)]
    assert pairs[1][2] == pytest.approx(np.hypot(40, 10) / 25)  # the real distance is still recorded
    strangers = transitions.assign(from_segment=[1, 2, 2, None], n_customers=[5, 2, 60, 60])
    assert overlap_matrix(strangers, np.array([10, 11]), np.array([1, 2]), n_customers=70) is None  # few persist


def mall_like(shift: float = 0.0) -> tuple[Assignment, dict[str, np.ndarray]]:
    """Three tight groups of customers (income, spending): low/high, high/low, average/average."""
    rng = np.random.default_rng(0)
    centres = [(25.0, 80.0), (85.0 + shift, 15.0), (55.0, 50.0)]
    rows = np.vstack([rng.normal(c, 2.0, size=(40, 2)) for c in centres])
    scaled, scaler = scale(rows.copy(), FEATURES)
    model = SegmentModel(FEATURES, scaler).fit(scaled, k=3, random_state=0)
    fitted = Assignment.of(model, model.labels_, {"inertia": model.inertia_}, len(rows))
    return fitted, {"annual_income": rows[:, 0], "spending_score": rows[:, 1]}


def reference_of(identity: Identity) -> Reference:
    pool = pd.DataFrame(
        {
            "segment_id": identity.assignment.ids,
            "segment_name": [identity.names[int(i)] for i in identity.assignment.ids],
            "centroid": list(identity.assignment.centroids),
            "in_reference": True,
        }
    )
    scaler = identity.assignment.model.scaler
    return Reference("r1", "2026Q1", date(2026, 3, 31), scaler.mean_, scaler.scale_, pool, earlier=True)


def test_names_come_from_the_customers_medians_and_last_while_true() -> None:
    model, values = mall_like()
    first = identify_segments(model, FEATURES, None, next_id=1, max_distance=1.0, values=values)
    assert sorted(first.names.values()) == [
        "Average income · Average spending",
        "High income · Low spending",
        "Low income · High spending",
    ]
    again, values = mall_like(shift=3.0)  # the high earners earn a little more next quarter
    second = identify_segments(again, FEATURES, reference_of(first), next_id=4, max_distance=1.0, values=values)
    assert second.names == first.names
    assert second.lineage["status"].tolist() == ["matched"] * 3


def test_a_new_segment_named_like_a_retired_one_is_told_apart_without_brackets() -> None:
    model, values = mall_like()
    first = identify_segments(model, FEATURES, None, next_id=1, max_distance=1.0, values=values)
    far, values = mall_like(shift=60.0)  # the high earners are now 60 k$ richer: a different segment
    second = identify_segments(far, FEATURES, reference_of(first), next_id=4, max_distance=1.0, values=values)
    new = second.lineage.loc[second.lineage["status"] == "new", "segment_id"].item()
    name = second.names[new]
    assert name.startswith("High income · Low spending · median income 14")
    assert "(" not in name
    assert name not in first.names.values()


def test_naming_values_are_the_clustered_columns_with_frequency_and_tenure_as_they_are() -> None:
    customers = pa.table(
        {
            "recency_days": pa.array([3, 40], pa.int64()),
            "monetary": [10.5, 20.0],
            "frequency": pa.array([1, 2], pa.int64()),
            "tenure_days": pa.array([30, None], pa.int64()),
            "gender": ["Female", "Male"],
            "customer_id": ["a", "b"],
        }
    )
    values = naming_values(customers, ("recency_days", "monetary", "gender"))
    assert set(values) == {"recency_days", "monetary", "gender", "frequency"}  # tenure has a gap: left out
    assert values["recency_days"].dtype.kind == "i"  # whole numbers stay integers: counted, not sorted
    assert values["gender"].tolist() == [1.0, 0.0]
