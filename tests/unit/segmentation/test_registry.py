"""The feature registry: model space, model columns and the profile columns that hold them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from segmentation.registry import (
    CUSTOMER_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    ORDER_FEATURES,
    centre_column,
    is_one_hot,
    label,
    mean_column,
    model_columns,
    to_model_space,
    to_original,
)


def test_the_registry_splits_features_by_source_and_kind() -> None:
    assert CUSTOMER_FEATURES == ("age", "gender", "annual_income", "spending_score")
    assert ORDER_FEATURES == ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")
    assert "gender" not in NUMERIC_FEATURES
    assert FEATURES["gender"].categorical
    assert FEATURES["annual_income"].short == "Annual income"


@pytest.mark.parametrize(
    ("name", "value", "model"),
    [
        ("monetary", 0.0, 0.0),
        ("monetary", math.e - 1, 1.0),
        ("monetary", -50.0, 0.0),  # a net refund is clipped to nothing spent
        ("frequency", 3.0, math.log(4)),
        ("annual_income", 70.0, 70.0),  # not heavy-tailed: unchanged
    ],
)
def test_model_space_is_log1p_of_the_clipped_value_for_heavy_tails(name: str, value: float, model: float) -> None:
    assert to_model_space(name, value) == pytest.approx(model)
    assert to_original(name, to_model_space(name, max(value, 0.0))) == pytest.approx(max(value, 0.0))


def test_model_space_works_on_arrays_too() -> None:
    values = np.array([-1.0, 0.0, 9.0])
    np.testing.assert_allclose(to_model_space("monetary", values), [0.0, 0.0, math.log(10)])
    np.testing.assert_allclose(to_original("monetary", np.array([0.0, math.log(10)])), [0.0, 9.0])
    np.testing.assert_array_equal(to_model_space("age", values), values)


def test_a_categorical_feature_is_one_column_per_level() -> None:
    assert model_columns(("annual_income", "gender")) == ("annual_income", "gender_female", "gender_male")
    assert is_one_hot("gender_male")
    assert not is_one_hot("annual_income")


@pytest.mark.parametrize(
    ("column", "centre", "mean"),
    [
        ("annual_income", "centroid_annual_income", "mean_annual_income"),
        ("gender_female", "share_female", "share_female"),
        ("recency_days", "centroid_recency_days", "mean_recency_days"),
    ],
)
def test_profile_columns_of_a_model_column(column: str, centre: str, mean: str) -> None:
    assert (centre_column(column), mean_column(column)) == (centre, mean)


def test_labels_carry_units_and_unknown_names_pass_through() -> None:
    assert label("annual_income") == "Annual income (k$)"
    assert label("recency_days") == "Days since last order"
    assert label("loyalty") == "loyalty"
