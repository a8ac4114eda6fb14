"""Lasting segment IDs and names: the pure parts (levels, names, matching, IDs, lineage)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tasks.identity import (
    assign_ids,
    kept_level,
    level,
    lineage_rows,
    match,
    overlap_matrix,
    segment_names,
    tell_apart,
)

FEATURES = ("annual_income", "spending_score")


@pytest.mark.parametrize(("z", "expected"), [(-0.51, 0), (-0.5, 1), (0.0, 1), (0.5, 1), (0.51, 2)])
def test_level_thresholds(z: float, expected: int) -> None:
    assert level(z) == expected


@pytest.mark.parametrize(
    ("z", "previous", "expected"),
    [
        (-0.4, 0, 0),  # just past the -0.5 boundary: still Low
        (-0.2, 0, 1),  # 0.3 past it: Average now
        (0.6, 1, 1),  # just past +0.5: still Average
        (0.8, 1, 2),
        (0.4, 2, 2),
        (0.2, 2, 1),
        (0.9, 0, 2),  # a jump of two levels is never held back
        (0.6, None, 2),  # no previous name: plain thresholds
    ],
)
def test_a_previous_level_holds_until_the_value_is_clearly_past_the_boundary(z, previous, expected) -> None:
    assert kept_level(z, previous) == expected


def test_names_from_centroids_repeats_numbered_and_previous_words_kept() -> None:
    centroids = np.array([[1.2, -1.0], [-1.0, 1.0], [0.1, 0.2], [1.5, -0.9]])
    assert segment_names(centroids, FEATURES) == [
        "High income · Low spending",
        "Low income · High spending",
        "Average income · Average spending",
        "High income · Low spending (2)",
    ]
    hovering = np.array([[0.6, -0.45]])  # plain words: High income · Average spending
    assert segment_names(hovering, FEATURES) == ["High income · Average spending"]
    assert segment_names(hovering, FEATURES, ["Average income · Low spending"]) == ["Average income · Low spending"]
    assert segment_names(np.array([[-2.0]]), ("age",)) == ["Younger"]


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


def test_a_new_segment_named_like_another_id_gets_the_word_that_tells_them_apart() -> None:
    pool = pd.DataFrame(
        {
            "segment_id": [3, 4],
            "segment_name": ["High income · Low spending", "Low income · Low spending"],
            "centroid": [np.array([88.0, 17.0]), np.array([26.0, 20.0])],
        }
    )
    names = tell_apart(
        ["High income · Low spending", "Low income · Low spending"],
        np.array([6, 4]),
        np.array([[120.0, 30.0], [25.0, 21.0]]),
        pool,
        FEATURES,
        np.array([26.0, 25.0]),
    )
    assert names == ["High income · Low spending (higher income)", "Low income · Low spending"]
