from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows.backfill import idempotency_key
from schemas.input import CANONICAL_HEADERS
from tasks.periods import Period
from tasks.sample import SAMPLE_ROWS, SAMPLE_SEED, generate_customers
from tasks.settings import SAMPLE_SOURCE
from tasks.validate import validate_frame


def test_generator_is_seeded_and_meets_the_input_contract() -> None:
    first = generate_customers(500, seed=3)
    assert first.equals(generate_customers(500, seed=3))
    assert not first.equals(generate_customers(500, seed=4))
    assert list(first.columns) == list(CANONICAL_HEADERS.values())
    raw = first.rename(columns={v: k for k, v in CANONICAL_HEADERS.items()}).astype(str)
    raw.index = pd.RangeIndex(2, 502, name="source_line")
    _, failures = validate_frame(raw)
    assert failures.empty


def test_bundled_sample_is_the_generator_output() -> None:
    shipped = pd.read_csv(SAMPLE_SOURCE)
    assert shipped.equals(generate_customers(SAMPLE_ROWS, seed=SAMPLE_SEED))


def test_idempotency_key_is_stable_per_period_and_place(tmp_path: Path) -> None:
    q1, q2 = Period.parse("2025Q1"), Period.parse("2025Q2")
    key = idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key == idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q2, source="a.csv", db="w.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="x.duckdb", batch="b")
    assert key != idempotency_key("segment-customers/quarterly", q1, source="a.csv", db="w.duckdb", batch="c")
