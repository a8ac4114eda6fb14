"""Segment rules: ranges in original units that select a segment's customers, with precision and recall."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from segmentation.rules import Rule, leaf_paths, segment_rules, to_rule

WHOLE = {"annual_income": False, "spending_score": True}


def test_a_path_merges_into_one_range_per_feature_rounded_where_whole() -> None:
    conditions = [
        ("annual_income", ">", 69.5),
        ("spending_score", "<=", 39.5),
        ("annual_income", "<=", 100.04),
        ("annual_income", ">", 70.01),  # the tighter lower bound wins
    ]
    rule = to_rule(conditions, WHOLE)
    assert rule.bounds == {"annual_income": (70.0, 100.0), "spending_score": (None, 39.0)}
    assert rule.text() == "annual income 70–100 k$ and spending score ≤ 39"


@pytest.mark.parametrize(
    ("conditions", "text"),
    [
        ([("spending_score", ">", 60.5)], "spending score ≥ 61"),  # whole: > 60.5 is ≥ 61
        ([("annual_income", "<=", 54.96)], "annual income < 55 k$"),  # not whole: an open upper bound
        ([("annual_income", ">", 54.96)], "annual income ≥ 55 k$"),
        ([], "every customer"),
    ],
)
def test_rule_text(conditions: list[tuple[str, str, float]], text: str) -> None:
    assert to_rule(conditions, WHOLE).text() == text


@pytest.mark.parametrize(("op", "text"), [(">", "gender Female"), ("<=", "gender Male")])
def test_a_categorical_rule_names_its_level(op: str, text: str) -> None:
    assert to_rule([("gender", op, 0.5)], {"gender": True}).text() == text


def test_select_uses_inclusive_upper_bounds_only_on_whole_values() -> None:
    values = {"annual_income": np.array([50.0, 55.0, 60.0]), "spending_score": np.array([55.0, 55.0, 56.0])}
    rule = Rule({"annual_income": (None, 55.0), "spending_score": (None, 55.0)}, WHOLE)
    assert rule.select(values).tolist() == [True, False, False]  # income < 55, score ≤ 55


def test_leaf_paths_list_every_leaf_with_its_conditions() -> None:
    matrix = np.array([[1.0], [2.0], [8.0], [9.0]])
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(matrix, [0, 0, 1, 1])
    paths = leaf_paths(tree, ("annual_income",))
    assert [conditions for _, conditions in paths] == [[("annual_income", "<=", 5.0)], [("annual_income", ">", 5.0)]]


def test_two_groups_apart_in_income_get_exact_rules() -> None:
    values = {
        "annual_income": np.array([10.0, 20.0, 30.0, 80.0, 90.0, 100.0]),
        "spending_score": np.full(6, 50.0),  # says nothing: no rule uses it
    }
    rules = segment_rules(values, np.array([1, 1, 1, 2, 2, 2]), sample_size=100, random_state=0)
    assert rules.to_dict("records") == [
        {"segment_id": 1, "rule": "annual income ≤ 55 k$", "rule_precision": 1.0, "rule_recall": 1.0},
        {"segment_id": 2, "rule": "annual income ≥ 56 k$", "rule_precision": 1.0, "rule_recall": 1.0},
    ]


def test_precision_and_recall_are_measured_on_everyone_with_the_rounded_rule() -> None:
    # The customer at 85 is in segment 1 among segment 2's incomes. Each rule is a leaf of a depth-3
    # tree: segment 1's leaf (≤ 55) misses that customer, segment 2's best leaf (> 87.5, F1 6/7)
    # leaves out 80: each selects only its own (precision 1) and three of its four (recall 3/4).
    values = {"annual_income": np.array([10.0, 20.0, 30.0, 80.0, 85.0, 90.0, 100.0, 110.0])}
    rules = segment_rules(values, np.array([1, 1, 1, 2, 1, 2, 2, 2]), sample_size=100, random_state=0)
    assert rules.to_dict("records") == [
        {"segment_id": 1, "rule": "annual income ≤ 55 k$", "rule_precision": 1.0, "rule_recall": 0.75},
        {"segment_id": 2, "rule": "annual income ≥ 88 k$", "rule_precision": 1.0, "rule_recall": 0.75},
    ]


def test_trees_learn_from_a_seeded_sample_and_are_scored_on_everyone() -> None:
    rng = np.random.default_rng(0)
    values = {"annual_income": rng.uniform(0, 100, 500).round()}
    segment_ids = np.where(values["annual_income"] < 50, 1, 2)
    whole = segment_rules(values, segment_ids, sample_size=500, random_state=3)
    assert whole["rule"].tolist() == ["annual income ≤ 49 k$", "annual income ≥ 50 k$"]
    assert whole[["rule_precision", "rule_recall"]].to_numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    sampled = segment_rules(values, segment_ids, sample_size=50, random_state=3)
    assert sampled.equals(segment_rules(values, segment_ids, sample_size=50, random_state=3))  # seeded
    # 50 customers put the threshold at 46: measured on all 500, segment 1's rule misses some of it.
    assert sampled["rule"].tolist() == ["annual income ≤ 46 k$", "annual income ≥ 47 k$"]
    assert sampled.loc[0, "rule_precision"] == 1.0
    assert sampled.loc[0, "rule_recall"] < 1.0
    assert sampled.loc[1, "rule_recall"] == 1.0
