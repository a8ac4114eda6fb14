"""The one settings object: defaults, SEGMENT_* variables, overrides, and refusals that name the problem."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from segmentation.settings import Settings, make_settings


def test_defaults_and_derived_paths() -> None:
    settings = make_settings(db_path=Path("/data/w.duckdb"))
    assert settings.features == ("annual_income", "spending_score")
    assert settings.candidate_ks == list(range(2, 11))
    assert settings.artifacts_root == Path("/data/artifacts")
    assert settings.bi_path == Path("/data/w_bi.duckdb")
    assert make_settings(artifacts_dir=Path("/a"), serving_path=Path("/b.duckdb")).bi_path == Path("/b.duckdb")


def test_none_overrides_leave_the_environment_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENT_K_MAX", "6")
    monkeypatch.setenv("SEGMENT_FEATURES", "age, annual_income")
    settings = make_settings(k_max=None, k=None)
    assert settings.k_max == 6
    assert settings.features == ("age", "annual_income")
    assert make_settings(k_max=4).k_max == 4  # an option wins over the variable


def test_a_pinned_k_is_the_only_candidate() -> None:
    assert make_settings(k=4).candidate_ks == [4]


def test_orders_default_to_behavioural_features() -> None:
    assert make_settings(orders="o.csv").features == ("recency_days", "frequency", "monetary")


def test_order_histories_default_to_k_3_to_8_and_segments_of_2_percent() -> None:
    orders, table = make_settings(orders="o.csv"), make_settings()
    assert (orders.candidate_ks, orders.min_segment_share, orders.knee_silhouette_tolerance) == (
        [3, 4, 5, 6, 7, 8],
        0.02,
        None,
    )
    assert (table.candidate_ks, table.min_segment_share, table.knee_silhouette_tolerance) == (
        list(range(2, 11)),
        0.0,
        0.1,
    )
    assert make_settings(orders="o.csv", k_max=6).candidate_ks == [3, 4, 5, 6]
    assert make_settings(orders="o.csv", k_max=2).candidate_ks == [2]  # a bound given alone moves the other
    assert make_settings(orders="o.csv", k_min=10).candidate_ks == [10]
    assert make_settings(orders="o.csv", min_segment_share=0.05).min_segment_share == 0.05


def test_columns_and_delimiter_are_parsed_from_text() -> None:
    settings = make_settings(columns="annual_income=Income,spending_score=Score", delimiter="semicolon")
    assert settings.columns == {"annual_income": "Income", "spending_score": "Score"}
    assert settings.delimiter == ";"


def test_settings_are_frozen() -> None:
    settings = make_settings()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        settings.k_max = 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"features": "height"}, r"unknown features \['height'\]"),
        ({"features": "age,age"}, r"features repeat a column: \['age', 'age'\]"),
        ({"k_min": 5, "k_max": 3}, r"k_min \(5\) is greater than k_max \(3\)"),
        ({"task_runner": "dask"}, "task_runner 'dask' needs a dask_address such as tcp://HOST:8786"),
        ({"features": "recency_days"}, r"features \['recency_days'\] come from orders: give an order history"),
        (
            {"orders": "o.csv", "features": "recency_days,age"},
            r"features \['age'\] come from customer attributes: give --attributes with orders",
        ),
        (
            {"orders": "o.csv", "attributes": "a.csv", "features": "recency_days,spending_score"},
            "spending_score is a store-assigned score that order histories do not have",
        ),
        ({"k": 1}, "greater than or equal to 2"),
        ({"raw_retention": "bogus"}, "Input should be 'failed', 'all' or 'none'"),
        ({"delimiter": "|"}, "not one of: comma"),
    ],
)
def test_inconsistent_settings_are_refused_with_the_reason(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_settings(**overrides)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        Settings(colour="blue")
