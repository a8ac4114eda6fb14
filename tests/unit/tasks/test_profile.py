from __future__ import annotations

import numpy as np
import pyarrow as pa

from tasks.profile import profile_segments


def test_profile_hand_computed() -> None:
    customers = pa.table(
        {
            "customer_id": ["1", "2", "3", "4"],
            "gender": ["Female", "Male", "Female", "Female"],
            "age": [20, 30, 40, 60],
            "annual_income": [10.0, 20.0, 100.0, 120.0],
            "spending_score": [90, 70, 10, 20],
        }
    )
    table = profile_segments(
        customers,
        np.array([1, 1, 2, 2]),
        ids=np.array([1, 2]),
        centroids=np.array([[15.0, 80.0], [110.0, 15.0]]),
        names={1: "Low income · High spending", 2: "High income · Low spending"},
        features=("annual_income", "spending_score"),
    ).set_index("segment_id")
    assert table["n_customers"].tolist() == [2, 2]
    assert table["share"].tolist() == [0.5, 0.5]
    assert table.loc[1, "mean_age"] == 25
    assert table.loc[2, "median_annual_income"] == 110
    assert table.loc[1, "share_female"] == 0.5
    assert table.loc[2, "share_male"] == 0.0
    assert table.loc[2, "centroid_spending_score"] == 15
    assert np.isnan(table.loc[1, "centroid_age"])
