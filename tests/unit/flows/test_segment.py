"""The flow module's pure parts: the period a run segments."""

from __future__ import annotations

import pytest

from flows.segment import resolve_period
from segmentation.errors import PeriodError


def test_an_explicit_period_is_parsed_whatever_the_cadence() -> None:
    assert resolve_period("2025Q3", "monthly").label == "2025Q3"
    with pytest.raises(PeriodError, match="neither a quarter"):
        resolve_period("Q3", "quarterly")
