from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tasks.errors import DataError
from tasks.features import feature_matrix, scale


def customers(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_scale_hand_computed() -> None:
    scaled, scaler = scale(np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0]]))
    # column 0: mean 3, population sd sqrt(8/3); column 1: mean 20, sd sqrt(200)
    np.testing.assert_allclose(scaled[:, 0], np.array([-2, 0, 2]) / np.sqrt(8 / 3))
    np.testing.assert_allclose(scaled[:, 1], np.array([-10, -10, 20]) / np.sqrt(200))
    np.testing.assert_allclose(scaler.inverse_transform(scaled)[2], [5.0, 40.0])


def test_feature_matrix_selects_in_order() -> None:
    frame = customers(age=[1, 2, 3], annual_income=[4, 5, 6], spending_score=[7, 8, 9])
    np.testing.assert_array_equal(feature_matrix(frame, ("spending_score", "age"), k_min=2), [[7, 1], [8, 2], [9, 3]])


def test_zero_variance_feature_is_named_with_its_value() -> None:
    frame = customers(annual_income=[42, 42, 42], spending_score=[1, 2, 3])
    with pytest.raises(DataError, match=r"zero variance.*\(Annual Income \(k\$\) = 42\)"):
        feature_matrix(frame, ("annual_income", "spending_score"), k_min=2)


@pytest.mark.parametrize("n_rows", [1, 2])
def test_too_few_rows_for_the_smallest_k(n_rows: int) -> None:
    frame = customers(annual_income=list(range(n_rows)), spending_score=list(range(n_rows)))
    with pytest.raises(DataError, match=rf"{n_rows} customer\(s\) cannot be split into 2 or more segments"):
        feature_matrix(frame, ("annual_income", "spending_score"), k_min=2)
