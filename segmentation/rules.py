"""Rules: for each segment, a short description in original units that selects its customers.

A shallow decision tree (scikit-learn, depth at most RULE_DEPTH, classes balanced so that a small
segment counts as much as the rest) learns each segment against the
rest on a seeded sample of the run's customers; the rule is the path to the leaf that best
selects the segment (highest F1), its thresholds rounded to whole units where the feature is
whole-valued, and its conditions on one feature merged into one range. Precision (of the
customers the rule selects, the share in the segment) and recall (of the segment, the share the
rule selects) are measured on every customer with the rounded rule, so they say how well the
words a person reads describe the real assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from segmentation.registry import FEATURES
from segmentation.registry import unit as unit_of

RULE_DEPTH = 3


@dataclass(frozen=True)
class Rule:
    """Ranges per feature: lower bound (inclusive) and upper bound (inclusive when whole-valued)."""

    bounds: dict[str, tuple[float | None, float | None]]
    whole: dict[str, bool]

    def select(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Which rows the rule selects."""
        n = len(next(iter(values.values())))
        mask = np.ones(n, dtype=bool)
        for feature, (low, high) in self.bounds.items():
            column = values[feature]
            if low is not None:
                mask &= column >= low
            if high is not None:
                mask &= column <= high if self.whole[feature] else column < high
        return mask

    def text(self, currency: str | None = None) -> str:
        """The rule in words and original units ('net spend ≥ 120 EUR and orders ≥ 4')."""
        parts = []
        for feature, (low, high) in self.bounds.items():
            facts = FEATURES[feature]
            label, unit, levels = facts.rule_label, unit_of(feature, currency), facts.levels
            if levels:  # a categorical feature is learned as 1 = its first level (gender: 1 = Female)
                if low is not None and low > 0:
                    parts.append(f"{label} {levels[0]}")
                elif high is not None and high < 1:
                    parts.append(f"{label} {levels[1]}")
                continue
            below = "≤" if self.whole[feature] else "<"
            if low is not None and high is not None:
                parts.append(f"{label} {_number(low)}–{_number(high)}{unit}")
            elif low is not None:
                parts.append(f"{label} ≥ {_number(low)}{unit}")
            elif high is not None:
                parts.append(f"{label} {below} {_number(high)}{unit}")
        return " and ".join(parts) if parts else "every customer"


def _number(value: float) -> str:
    return f"{value:g}"


def leaf_paths(
    tree: DecisionTreeClassifier, features: tuple[str, ...]
) -> list[tuple[int, list[tuple[str, str, float]]]]:
    """Every leaf and the conditions leading to it: (feature, '<=' or '>', threshold)."""
    structure = tree.tree_
    paths = []

    def walk(node: int, conditions: list[tuple[str, str, float]]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            paths.append((node, conditions))
            return
        name, threshold = features[structure.feature[node]], float(structure.threshold[node])
        walk(left, [*conditions, (name, "<=", threshold)])
        walk(right, [*conditions, (name, ">", threshold)])

    walk(0, [])
    return paths


def to_rule(conditions: list[tuple[str, str, float]], whole: dict[str, bool]) -> Rule:
    """Merge a path's conditions into one range per feature, rounded to whole units where they apply."""
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for feature, op, threshold in conditions:
        low, high = bounds.get(feature, (None, None))
        if op == ">":
            value = float(np.floor(threshold) + 1) if whole[feature] else round(threshold, 1)
            low = value if low is None else max(low, value)
        else:
            value = float(np.floor(threshold)) if whole[feature] else round(threshold, 1)
            high = value if high is None else min(high, value)
        bounds[feature] = (low, high)
    return Rule({f: bounds[f] for f in sorted(bounds, key=list(whole).index)}, whole)


def segment_rules(
    values: dict[str, np.ndarray],
    segment_ids: np.ndarray,
    *,
    sample_size: int,
    random_state: int,
    currency: str | None = None,
) -> pd.DataFrame:
    """The rule of every segment with its precision and recall against the real assignment.

    Args:
        values: feature -> values per customer (original units), the run's features.
        segment_ids: segment per customer.
        sample_size: customers the trees learn from (a seeded sample beyond it).
        random_state: seed of the sample and the trees.
        currency: the unit of amounts in the rules (SEGMENT_CURRENCY).

    Returns:
        One row per segment: segment_id, rule, rule_precision, rule_recall.
    """
    features = tuple(values)
    n = len(segment_ids)
    rows = np.random.default_rng(random_state).choice(n, size=sample_size, replace=False) if n > sample_size else None
    matrix = np.column_stack([values[f] if rows is None else values[f][rows] for f in features])
    learned_ids = segment_ids if rows is None else segment_ids[rows]
    whole = {f: bool(np.all(np.mod(matrix[:, i], 1) == 0)) for i, f in enumerate(features)}
    found = []
    for segment_id in np.unique(segment_ids):
        target = learned_ids == segment_id
        tree = DecisionTreeClassifier(max_depth=RULE_DEPTH, class_weight="balanced", random_state=random_state)
        tree.fit(matrix, target)
        best, best_f1 = Rule({}, whole), -1.0
        for _, conditions in leaf_paths(tree, features):
            rule = to_rule(conditions, whole)
            chosen = rule.select({f: matrix[:, i] for i, f in enumerate(features)})
            hits = int((chosen & target).sum())
            if hits == 0:
                continue
            f1 = 2 * hits / (int(chosen.sum()) + int(target.sum()))
            if f1 > best_f1:
                best, best_f1 = rule, f1
        selected = best.select(values)
        member = segment_ids == segment_id
        hits = int((selected & member).sum())
        found.append(
            {
                "segment_id": int(segment_id),
                "rule": best.text(currency),
                "rule_precision": hits / max(int(selected.sum()), 1),
                "rule_recall": hits / int(member.sum()),
            }
        )
    return pd.DataFrame(found)
