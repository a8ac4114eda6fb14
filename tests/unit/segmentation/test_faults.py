"""Test-only pauses read from SEGMENT_TEST_PAUSE: pure, no Prefect."""

from __future__ import annotations

import logging

import pytest

from segmentation import faults


def test_a_spec_names_points_and_seconds() -> None:
    assert faults.parse("before_commit=5, before_serving=0.5") == {"before_commit": 5.0, "before_serving": 0.5}
    assert faults.parse("") == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("before_lunch=5", "unknown point 'before_lunch'; known: before_commit, before_serving"),
        ("before_commit", "'before_commit' needs seconds"),
        ("before_commit=soon", "'before_commit=soon' needs seconds"),
        ("before_commit=-1", "seconds must be at least 0"),
    ],
)
def test_a_bad_spec_is_refused_with_its_reason(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        faults.parse(spec)


def test_unset_nothing_pauses_and_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert faults.pause("before_commit", environ={}) == 0.0
    assert caplog.records == []


def test_a_pause_logs_the_marker_then_sleeps(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    monkeypatch.setenv(faults.ENV, "before_serving=120")
    with caplog.at_level(logging.WARNING):
        assert faults.pause("before_serving") == 120.0
        assert faults.pause("before_commit") == 0.0
    assert slept == [120.0]
    assert [r.getMessage() for r in caplog.records] == [
        "test pause before_serving: sleeping 120s after the warehouse COMMIT, before the BI surface is updated "
        "(SEGMENT_TEST_PAUSE, test only)"
    ]
    assert caplog.records[0].getMessage().startswith(faults.marker("before_serving"))


def test_an_unknown_point_in_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown pause point 'after_lunch'"):
        faults.pause("after_lunch", environ={})
