"""Backfill's pure parts: the idempotency key of a deployment submission."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.backfill import idempotency_key, run_since
from segmentation.periods import Period
from segmentation.results import PeriodOutcome


def test_idempotency_key_is_stable_per_period_and_place(tmp_path: Path) -> None:
    q1, q2 = Period.parse("2025Q1"), Period.parse("2025Q2")
    key = idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key == idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q2, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="x.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="c")


def test_a_period_that_failed_before_any_surface_existed_has_no_run(tmp_path: Path) -> None:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    parameters = {"db": str(tmp_path / "w.duckdb")}
    assert run_since(parameters, Period.parse("2025Q1"), started) is None
    (tmp_path / "w_bi.duckdb").write_bytes(b"not a database")  # unreadable: still no run, no crash
    assert run_since(parameters, Period.parse("2025Q1"), started) is None


def test_outcomes_default_to_no_run() -> None:
    outcome = PeriodOutcome("2025Q1", "skipped")
    assert (outcome.k, outcome.run_id, outcome.message) == (None, None, None)
