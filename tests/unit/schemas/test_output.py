"""Contracts of the published tables: what a run may not publish."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pa_errors
import pytest

from schemas.output import DriftFlag, KScore, SegmentLineage, SegmentTransition


def k_table(**changes: list[object]) -> pd.DataFrame:
    table = {
        "run_id": ["r", "r"],
        "k": [2, 3],
        "inertia": [4.0, 1.0],
        "silhouette": [0.5, None],
        "calinski_harabasz": [1.0, None],
        "davies_bouldin": [0.4, None],
        "stability": [0.9, None],
        "chosen": [True, False],
    }
    return pd.DataFrame(table | changes)


def test_a_k_table_with_empty_optional_scores_meets_the_contract() -> None:
    assert len(KScore.validate(k_table())) == 2


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"k": [2, 2]}, "k"),  # one row per candidate
        ({"k": [1, 2]}, "k"),
        ({"silhouette": [1.5, None]}, "silhouette"),
        ({"inertia": [-1.0, 1.0]}, "inertia"),
        ({"run_id": ["", "r"]}, "run_id"),
    ],
)
def test_a_bad_k_table_is_refused_naming_the_column(changes: dict[str, list[object]], column: str) -> None:
    with pytest.raises(pa_errors.SchemaError, match=column):
        KScore.validate(k_table(**changes))


def test_lineage_statuses_and_drift_flags_are_closed_lists() -> None:
    lineage = pd.DataFrame(
        {
            "run_id": ["r"],
            "period": ["2026Q1"],
            "reference_run_id": [None],
            "segment_id": [1],
            "status": ["renamed"],
            "segment_name": ["A"],
            "reference_name": [None],
            "n_customers": [3],
            "reference_n_customers": [None],
            "share": [1.0],
            "reference_share": [None],
            "size_change": [None],
            "match_distance": [None],
            "centroid_shift": [None],
        }
    )
    with pytest.raises(pa_errors.SchemaError, match="isin"):
        SegmentLineage.validate(lineage)
    assert len(SegmentLineage.validate(lineage.assign(status="new"))) == 1
    flag = pd.DataFrame(
        {
            "run_id": ["r"],
            "period": ["2026Q1"],
            "compared_run_id": [None],
            "segment_id": [None],
            "flag": ["low_silhouette"],
            "value": [0.2],
            "threshold": [0.25],
            "reason": ["silhouette 0.20 is below 0.25"],
        }
    )
    assert len(DriftFlag.validate(flag)) == 1
    with pytest.raises(pa_errors.SchemaError, match="isin"):
        DriftFlag.validate(flag.assign(flag="mood_swing"))


def test_a_transition_counts_at_least_one_customer() -> None:
    transitions = pd.DataFrame(
        {
            "run_id": ["r", "r"],
            "period": ["2026Q2", "2026Q2"],
            "compared_run_id": ["q", "q"],
            "from_segment": [1, None],  # a newcomer has no segment before
            "to_segment": [1, 2],
            "n_customers": [5, 0],
        }
    )
    with pytest.raises(pa_errors.SchemaError, match="n_customers"):
        SegmentTransition.validate(transitions)
    assert len(SegmentTransition.validate(transitions.iloc[:1])) == 1
