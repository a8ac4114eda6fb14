from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from segmentation.errors import DataError
from segmentation.matrix import feature_matrix, scale, scaling_of, selection_sample
from segmentation.registry import model_columns


def customers(**columns: list[float]) -> pa.Table:
    return pa.table(columns)


def test_scale_hand_computed_and_the_scaler_copies_afterwards() -> None:
    matrix = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0]])
    scaled, scaler = scale(matrix)
    # column 0: mean 3, population sd sqrt(8/3); column 1: mean 20, sd sqrt(200)
    np.testing.assert_allclose(scaled[:, 0], np.array([-2, 0, 2]) / np.sqrt(8 / 3))
    np.testing.assert_allclose(scaled[:, 1], np.array([-10, -10, 20]) / np.sqrt(200))
    centre = scaled[2].copy()
    np.testing.assert_allclose(scaler.inverse_transform(scaled[2:]), [[5.0, 40.0]])
    np.testing.assert_array_equal(scaled[2], centre)  # the saved scaler leaves its input alone


def test_feature_matrix_selects_in_order() -> None:
    table = customers(age=[1, 2, 3], annual_income=[4.0, 5.0, 6.0], spending_score=[7, 8, 9])
    np.testing.assert_array_equal(feature_matrix(table, ("spending_score", "age"), k_min=2), [[7, 1], [8, 2], [9, 3]])


def test_zero_variance_feature_is_named_with_its_value() -> None:
    table = customers(annual_income=[42.0, 42.0, 42.0], spending_score=[1, 2, 3])
    with pytest.raises(DataError, match=r"zero variance.*\(Annual Income \(k\$\) = 42\)"):
        feature_matrix(table, ("annual_income", "spending_score"), k_min=2)


@pytest.mark.parametrize("n_rows", [1, 2])
def test_too_few_rows_for_the_smallest_k(n_rows: int) -> None:
    table = customers(annual_income=[float(i) for i in range(n_rows)], spending_score=list(range(n_rows)))
    with pytest.raises(DataError, match=rf"{n_rows} customer\(s\) cannot be split into 2 or more segments"):
        feature_matrix(table, ("annual_income", "spending_score"), k_min=2)


def test_selection_sample_is_seeded_sorted_and_whole_when_small() -> None:
    np.testing.assert_array_equal(selection_sample(5, 10, random_state=1), np.arange(5))
    picked = selection_sample(1000, 100, random_state=1)
    assert len(picked) == 100 == len(set(picked.tolist()))
    assert (np.diff(picked) > 0).all()
    np.testing.assert_array_equal(picked, selection_sample(1000, 100, random_state=1))
    assert not np.array_equal(picked, selection_sample(1000, 100, random_state=2))


def test_a_categorical_feature_is_one_hot_and_weighted_so_it_cannot_dominate() -> None:
    genders = ["Female"] * 9 + ["Male"]  # a rare level must not weigh more than a common one
    table = pa.table({"gender": genders, "annual_income": [float(i) for i in range(10)]})
    matrix = feature_matrix(table, ("gender", "annual_income"), k_min=2)
    assert matrix[:, :2].tolist() == [[1.0, 0.0]] * 9 + [[0.0, 1.0]]
    scaled, scaler = scale(matrix, model_columns(("gender", "annual_income")), categorical_weight=1.0)
    # Two customers who differ only in gender are exactly the weight apart, whatever the levels' shares.
    assert np.linalg.norm(scaled[0, :2] - scaled[9, :2]) == pytest.approx(1.0)
    assert scaled[:, 2].std() == pytest.approx(1.0)  # numeric columns are standardised as before
    assert scaling_of(scaler, ("gender", "annual_income"))["gender_male"] == {
        "mean": 0.0,
        "scale": pytest.approx(2**0.5),
    }


def test_a_categorical_feature_needs_a_value_for_everyone() -> None:
    table = pa.table({"gender": ["Female", None, "Male"], "annual_income": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="1 customer\\(s\\) have no gender"):
        feature_matrix(table, ("gender", "annual_income"), k_min=2)
