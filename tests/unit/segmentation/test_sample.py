from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from schemas.input import CANONICAL_HEADERS
from segmentation.sample import (
    SAMPLE_ROWS,
    SAMPLE_SEED,
    generate_customers,
    generate_orders,
    write_customers,
    write_orders,
)
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


def test_order_history_is_seeded_within_its_dates_and_returns_are_negative_lines() -> None:
    orders = generate_orders(50, seed=3, start="2025-01-01", end="2025-12-31")
    assert orders.equals(generate_orders(50, seed=3, start="2025-01-01", end="2025-12-31"))
    assert not orders.equals(generate_orders(50, seed=4, start="2025-01-01", end="2025-12-31"))
    assert orders.column_names == ["order_id", "customer_id", "order_date", "quantity", "amount"]
    frame = orders.to_pandas()
    assert frame["order_date"].between(date(2025, 1, 1), date(2025, 12, 31)).all()
    assert frame["order_date"].is_monotonic_increasing  # sorted by date
    assert frame["customer_id"].nunique() == 50  # everyone orders at least once
    returns = frame[frame["order_id"].str.startswith("R")]
    assert (returns["amount"] < 0).all()
    assert (returns["quantity"] == -1).all()
    assert (frame.loc[~frame.index.isin(returns.index), "amount"] > 0).all()


def test_written_orders_read_back_as_the_same_lines(tmp_path: Path) -> None:
    orders = generate_orders(20, seed=1)
    path = write_orders(orders, tmp_path / "deep" / "orders.csv")
    back = pd.read_csv(path, dtype={"customer_id": str, "order_id": str})
    assert back["amount"].round(2).tolist() == orders.column("amount").to_pylist()
    assert path.read_text().splitlines()[0] == "order_id,customer_id,order_date,quantity,amount"
