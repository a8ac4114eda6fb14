"""Lasting segment IDs: the pure parts (matching, IDs, lineage); names are tests/unit/segmentation/test_naming.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tasks.identity import assign_ids, lineage_rows, match, overlap_matrix

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
