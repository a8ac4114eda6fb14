"""Backfill's pure parts: the idempotency key of a deployment submission."""

from __future__ import annotations

from pathlib import Path

from flows.backfill import idempotency_key
from segmentation.periods import Period


def test_idempotency_key_is_stable_per_period_and_place(tmp_path: Path) -> None:
    q1, q2 = Period.parse("2025Q1"), Period.parse("2025Q2")
    key = idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key == idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q2, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="x.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="c")
