"""Continuity's pure parts: agreement (ARI) and kept share from transitions, drift flags in words."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from tasks.continuity import ari_from_transitions, drift_flags, share_kept


def transitions_of(before: list[int], after: list[int]) -> pd.DataFrame:
    pairs = pd.DataFrame({"from_segment": before, "to_segment": after})
    return pairs.value_counts().rename("n_customers").reset_index()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 3]),
        ([1, 1, 2, 2, 3, 3], [7, 7, 8, 8, 9, 9]),  # the same partition under other IDs
        ([1, 1, 1, 2, 2, 2, 3, 3], [1, 2, 1, 2, 3, 3, 3, 1]),
        ([1, 2, 3, 4, 1, 2, 3, 4], [1, 1, 2, 2, 3, 3, 4, 4]),
    ],
)
def test_ari_from_the_transition_table_equals_scikit_learns(before: list[int], after: list[int]) -> None:
    assert ari_from_transitions(transitions_of(before, after)) == pytest.approx(adjusted_rand_score(before, after))


def test_kept_share_counts_customers_in_both_runs_only() -> None:
    table = pd.DataFrame(
        {"from_segment": [1, 1, 2, None, 3], "to_segment": [1, 2, 2, 1, None], "n_customers": [6, 2, 2, 5, 9]}
    )
    assert share_kept(table) == pytest.approx(8 / 10)
    assert ari_from_transitions(table.iloc[3:]) is None


def test_drift_flags_have_readable_reasons() -> None:
    lineage = pd.DataFrame(
        {
            "segment_id": [1, 2, 3, 4],
            "status": ["matched", "matched", "new", "retired"],
            "segment_name": ["Stable", "Grown", "Fresh", None],
            "reference_name": ["Stable", "Grown", None, "Gone"],
            "share": [0.5, 0.4, 0.1, None],
            "reference_share": [0.5, 0.2, None, 0.3],
            "size_change": [0.0, 1.0, None, None],
            "centroid_shift": [0.1, 0.7, None, None],
        }
    )
    flags = drift_flags(
        lineage, silhouette=0.2, size_change=0.25, centroid_shift=0.5, min_silhouette=0.25, compared=True
    )
    assert [(None if pd.isna(s) else int(s), f) for s, f in zip(flags["segment_id"], flags["flag"], strict=True)] == [
        (None, "low_silhouette"),
        (2, "size_change"),
        (2, "centroid_shift"),
        (3, "new_segment"),
        (4, "retired_segment"),
    ]
    assert "segment 2 'Grown' went from 20.0% to 40.0% of customers (+100%)" in flags["reason"].tolist()
    assert "segment 4 'Gone' has no successor" in flags["reason"].tolist()
    quiet = drift_flags(
        lineage, silhouette=0.6, size_change=0.25, centroid_shift=0.5, min_silhouette=0.25, compared=False
    )
    assert quiet.empty
