from __future__ import annotations

from datetime import date, datetime

import pytest

from segmentation.errors import PeriodError
from segmentation.periods import Period, containing, just_ended, period_range, resolve_source


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_parse_gives_start_end_and_label(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end, period.label) == (start, end, text)


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "2026-13", "2026-1", "26Q1", "Q1 2026", ""])
def test_parse_rejects_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="neither a quarter like 2026Q1 nor a month like 2026-03"):
        Period.parse(text)


@pytest.mark.parametrize(
    ("scheduled", "cadence", "expected"),
    [
        (datetime(2026, 4, 1, 6, 0), "quarterly", "2026Q1"),
        (datetime(2026, 1, 1, 6, 0), "quarterly", "2025Q4"),
        (datetime(2026, 3, 31, 23, 59), "quarterly", "2025Q4"),
        (datetime(2026, 1, 1, 6, 0), "monthly", "2025-12"),
        (datetime(2026, 3, 1, 6, 0), "monthly", "2026-02"),
    ],
)
def test_just_ended_is_the_period_before_the_scheduled_start(scheduled, cadence, expected) -> None:
    assert just_ended(scheduled, cadence).label == expected


def test_range_is_inclusive_and_ordered() -> None:
    assert [p.label for p in period_range("2025Q3", "2026Q2")] == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert [p.label for p in period_range("2025-11", "2026-01")] == ["2025-11", "2025-12", "2026-01"]


def test_range_refuses_mixed_kinds_and_reversed_bounds() -> None:
    with pytest.raises(ValueError, match="both be quarters or both months"):
        period_range("2025Q1", "2025-06")
    with pytest.raises(ValueError, match="is after"):
        period_range("2026Q1", "2025Q1")


def test_source_template_fills_period_only() -> None:
    assert resolve_source("data/c_{period}.csv", Period.parse("2025Q3")) == "data/c_2025Q3.csv"
    assert resolve_source("data/{other}.csv", Period.parse("2025Q3")) == "data/{other}.csv"


@pytest.mark.parametrize(
    ("text", "steps", "expected"),
    [("2026Q1", 1, "2026Q2"), ("2026Q1", -1, "2025Q4"), ("2025-12", 1, "2026-01"), ("2026-01", -13, "2024-12")],
)
def test_shift_moves_by_whole_periods_across_years(text: str, steps: int, expected: str) -> None:
    assert Period.parse(text).shift(steps).label == expected


def test_periods_order_by_start_and_print_as_their_label() -> None:
    assert Period.parse("2025Q4") < Period.parse("2026Q1")
    assert str(Period.parse(" 2026-03 ")) == "2026-03"  # surrounding spaces are forgiven
    assert (Period.parse("2026Q2").months, Period.parse("2026-02").months) == (3, 1)


@pytest.mark.parametrize(
    ("moment", "kind", "expected"),
    [
        (date(2026, 5, 17), "quarter", "2026Q2"),
        (date(2026, 5, 17), "month", "2026-05"),
        (date(2026, 12, 31), "quarter", "2026Q4"),
    ],
)
def test_containing(moment: date | datetime, kind: str, expected: str) -> None:
    assert containing(moment, kind).label == expected


def test_a_bad_period_is_a_period_error() -> None:
    with pytest.raises(PeriodError, match="'2026Q9' is neither"):
        Period.parse("2026Q9")
