from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pandera.errors as pa_errors
import pyarrow as pa
import pytest

from segmentation.errors import AuditFailed
from segmentation.registry import ORDER_FEATURES
from segmentation.results import Segments
from tasks.publish import build_publication


def profiles(sizes: list[int]) -> pd.DataFrame:
    k = len(sizes)
    return pd.DataFrame(
        {
            "segment_id": np.arange(1, k + 1),
            "segment_name": [f"S{i}" for i in range(1, k + 1)],
            "n_customers": sizes,
            "share": np.array(sizes) / sum(sizes),
            **{f"{how}_{col}": 1.0 for how in ("mean", "median") for col in ("age", "annual_income", "spending_score")},
            "share_female": 0.5,
            "share_male": 0.5,
            "centroid_age": np.nan,
            "centroid_annual_income": 1.0,
            "centroid_spending_score": 2.0,
            "rule": "annual income ≥ 70 k$",
            "rule_precision": 0.95,
            "rule_recall": 0.9,
            # A customer table has no behavioural features: their columns are there, empty.
            **{f"{how}_{col}": np.nan for how in ("mean", "median", "centroid") for col in ORDER_FEATURES},
        }
    )


K_TABLE = pd.DataFrame(
    {
        "k": [2, 3],
        "inertia": [4.0, 1.0],
        "silhouette": [0.5, 0.6],
        "calinski_harabasz": [1.0, 2.0],
        "davies_bouldin": [0.5, 0.4],
        "stability": [0.9, None],
        "chosen": [True, False],
    }
)


def test_publication_pairs_customers_with_segments_and_stamps_the_run() -> None:
    publication = build_publication(
        run_id="r1",
        period="2026Q1",
        customer_ids=pa.array(["10", "C-11", "12"]),
        segment_ids=np.array([2, 1, 2]),
        profiles=profiles([1, 2]),
        k_table=K_TABLE,
    )
    assert publication.assignments.to_pylist() == [
        {"customer_id": "10", "segment_id": 2, "segment_name": "S2"},
        {"customer_id": "C-11", "segment_id": 1, "segment_name": "S1"},
        {"customer_id": "12", "segment_id": 2, "segment_name": "S2"},
    ]
    assert set(publication.profiles["period"]) == {"2026Q1"}
    assert publication.k_table["run_id"].tolist() == ["r1", "r1"]


def test_publication_refuses_mismatched_lengths_unprofiled_segments_and_bad_profiles() -> None:
    with pytest.raises(AuditFailed, match="3 customers but 2 segment ids"):
        build_publication(
            run_id="r1",
            period="2026Q1",
            customer_ids=pa.array(["1", "2", "3"]),
            segment_ids=np.array([1, 2]),
            profiles=profiles([1, 1]),
            k_table=K_TABLE,
        )
    with pytest.raises(AuditFailed, match="assigned a segment that has no profile"):
        build_publication(
            run_id="r1",
            period="2026Q1",
            customer_ids=pa.array(["1", "2"]),
            segment_ids=np.array([1, 3]),
            profiles=profiles([1, 1]),
            k_table=K_TABLE,
        )
    with pytest.raises(pa_errors.SchemaError, match="segment_name"):
        build_publication(
            run_id="r1",
            period="2026Q1",
            customer_ids=pa.array(["1", "2"]),
            segment_ids=np.array([1, 2]),
            profiles=profiles([1, 1]).assign(segment_name="same"),
            k_table=K_TABLE,
        )


def test_a_score_run_says_it_kept_its_models_k_and_chose_by_no_method() -> None:
    scored = Segments(
        mode="score",
        model_run_id="q1",
        model_period="2026Q1",
        features=("annual_income",),
        scaling={},
        selection_rows=4,
        choice=None,
        k_table=None,
        identity=SimpleNamespace(assignment=SimpleNamespace(ids=np.array([1, 2]))),
        profiles=pd.DataFrame(),
        continuity=None,
        artifact=("/m/q1", "sha"),
    )
    assert scored.k == 2
    assert scored.k_reason == "scored with the model of run q1 (2026Q1): k=2 kept, nothing refitted"
    assert scored.k_methods == {}
