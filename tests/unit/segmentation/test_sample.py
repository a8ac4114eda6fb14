from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas.input import CANONICAL_HEADERS
from segmentation.sample import SAMPLE_ROWS, SAMPLE_SEED, generate_customers, write_customers
from segmentation.settings import SAMPLE_SOURCE
from segmentation.source import inspect_source
from tasks.ingest import read_source
from tasks.validate import check_rows


def test_generator_is_seeded_and_meets_the_input_contract(tmp_path: Path) -> None:
    first = generate_customers(500, seed=3)
    assert first.equals(generate_customers(500, seed=3))
    assert not first.equals(generate_customers(500, seed=4))
    assert list(first.columns) == list(CANONICAL_HEADERS.values())
    written = write_customers(first, tmp_path / "c.csv")
    assert check_rows(read_source(inspect_source(written))).empty


def test_bundled_sample_is_the_generator_output(tmp_path: Path) -> None:
    written = write_customers(generate_customers(SAMPLE_ROWS, seed=SAMPLE_SEED), tmp_path / "sample.csv")
    assert written.read_bytes() == SAMPLE_SOURCE.read_bytes()
    assert pd.read_csv(SAMPLE_SOURCE).equals(generate_customers(SAMPLE_ROWS, seed=SAMPLE_SEED))
