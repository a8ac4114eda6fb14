from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors as pa_errors
import pytest

from tasks.errors import DataError, ValidationFailed
from tasks.publish import build_publication
from tasks.runs import failure_rows


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


def test_publication_names_every_customer_and_stamps_the_run() -> None:
    publication = build_publication(
        run_id="r1",
        period="2026Q1",
        customer_ids=np.array([10, 11, 12]),
        segment_ids=np.array([2, 1, 2]),
        profiles=profiles([1, 2]),
        k_table=K_TABLE,
    )
    assert publication.assignments["segment_name"].tolist() == ["S2", "S1", "S2"]
    assert set(publication.assignments["run_id"]) == {"r1"}
    assert set(publication.profiles["period"]) == {"2026Q1"}
    assert publication.k_table["run_id"].tolist() == ["r1", "r1"]


def test_publication_refuses_a_customer_twice() -> None:
    with pytest.raises(pa_errors.SchemaError, match="customer_id"):
        build_publication(
            run_id="r1",
            period="2026Q1",
            customer_ids=np.array([10, 10]),
            segment_ids=np.array([1, 2]),
            profiles=profiles([1, 1]),
            k_table=K_TABLE,
        )


def test_failure_rows_only_for_validation_failures() -> None:
    failures = pd.DataFrame(
        {"column_name": ["age"], "check_name": ["is a number"], "failure_case": ["x"], "source_line": [3]}
    )
    rows = failure_rows("r9", ValidationFailed("bad", failures))
    assert rows.values.tolist() == [["r9", "age", "is a number", "x", 3]]
    assert failure_rows("r9", DataError("too few")) is None
