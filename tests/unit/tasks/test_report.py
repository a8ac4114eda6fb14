"""The report's pure parts: how numbers, shares, dates and times read, and the Prefect tables."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from tasks.report import day, k_rows, mean_columns, moment, percent, profile_rows, records, selection_note


@pytest.mark.parametrize(
    ("value", "text"), [(0.405, "40.5%"), (1, "100.0%"), (0.0, "0.0%"), (None, "–"), (float("nan"), "–")]
)
def test_percent(value: object, text: str) -> None:
    assert percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2026, 1, 1), "2026-01-01"),
        (datetime(2026, 1, 1, 0, 0), "2026-01-01"),
        (pd.Timestamp("2026-03-31"), "2026-03-31"),
        ("2026-03-31 00:00:00", "2026-03-31"),
        (None, "–"),
    ],
)
def test_day_is_a_date_never_a_midnight_timestamp(value: object, text: str) -> None:
    assert day(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 12, 1, 6, 12, 9, 123456), "2026-12-01 06:12:09"),
        ("2026-12-01 06:12:09.123456", "2026-12-01 06:12:09"),
        (float("nan"), "–"),
    ],
)
def test_moment_is_to_the_second(value: object, text: str) -> None:
    assert moment(value) == text


@pytest.mark.parametrize(
    ("run", "note"),
    [
        ({"selection_rows": 200, "n_customers": 200}, "Scored on all 200 customers."),
        (
            {"selection_rows": 10_000, "n_customers": 1_250_000},
            "Scored on a seeded sample of 10,000 of the run's 1,250,000 customers.",
        ),
        ({"selection_rows": 150, "n_customers": None, "n_rows": 150}, "Scored on all 150 customers."),  # before 008
        ({"selection_rows": None, "n_customers": 200}, ""),  # a scored run: no candidates
    ],
)
def test_selection_note_says_a_sample_only_when_there_was_one(run: dict[str, object], note: str) -> None:
    assert selection_note(run) == note


def test_mean_columns_put_the_runs_features_first_and_skip_empty_ones() -> None:
    profiles = pd.DataFrame(
        {
            "mean_age": [30.0],
            "mean_annual_income": [50.0],
            "mean_spending_score": [60.0],
            "mean_recency_days": [np.nan],  # a customer table has no recency
        }
    )
    assert mean_columns(profiles, ("spending_score", "annual_income")) == [
        ("mean_spending_score", "mean spending score (1-100)"),
        ("mean_annual_income", "mean annual income (k$)"),
        ("mean_age", "mean age (years)"),
    ]


def test_records_have_none_where_a_value_is_missing() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    assert records(frame) == [{"a": 1.0, "b": "x"}, {"a": None, "b": None}]


def test_prefect_tables_are_rounded_with_human_headers() -> None:
    profiles = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "segment_name": ["A", "B"],
            "n_customers": [81, 39],
            "share": [0.405, 0.195],
            "rule_precision": [0.9876, np.nan],
            "rule_recall": [0.912, np.nan],
            "rule": ["annual income ≥ 70 k$", None],
        }
    )
    assert profile_rows(profiles) == [
        {"ID": 1, "Segment": "A", "Customers": 81, "Share": "40.5%", "Rule precision": 0.99, "Rule recall": 0.91,
         "Rule": "annual income ≥ 70 k$"},
        {"ID": 2, "Segment": "B", "Customers": 39, "Share": "19.5%", "Rule precision": None, "Rule recall": None,
         "Rule": "–"},
    ]  # fmt: skip
    k_table = pd.DataFrame(
        {"k": [2, 3], "inertia": [123.456, 99.0], "silhouette": [0.55549, None], "stability": [0.987, None],
         "chosen": [False, True]}
    )  # fmt: skip
    assert k_rows(k_table) == [
        {"k": 2, "Inertia": 123.5, "Silhouette": 0.555, "Stability": 0.99, "Chosen": ""},
        {"k": 3, "Inertia": 99.0, "Silhouette": None, "Stability": None, "Chosen": "yes"},
    ]
