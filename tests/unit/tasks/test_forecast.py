"""The forecast stage's pure parts and its reads of an order history, on tiny data with answers by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from segmentation import clv
from segmentation.errors import ModelIntegrityError
from segmentation.periods import Period
from segmentation.source import inspect_orders
from tasks.forecast import (
    actuals,
    at_risk,
    histories,
    horizon_days,
    load_model,
    p_active_drift,
    save_model,
    segment_outlook,
    segments_of,
)
from tasks.orders import read_orders

# a: three orders (one of two lines, one a partial return of another order ID), then an order after Q2.
# b: one order only. c: only a pure return (no order of positive net amount): not a customer yet.
ORDERS = """order_id,customer_id,order_date,amount
A1,a,2026-01-10,30
A1,a,2026-01-10,20
A2,a,2026-03-01,40
R2,a,2026-03-05,-10
A3,a,2026-05-31,60
A4,a,2026-07-15,25
B1,b,2026-06-30,15
C1,c,2026-02-01,-5
"""


@pytest.fixture
def history(tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    read = read_orders(inspect_orders(path, columns=None, delimiter=None), date_format=None)
    yield read
    read.remove()


def test_histories_are_what_bg_nbd_reads_by_hand(history) -> None:
    rows = {r["customer_id"]: r for r in histories(history, Period.parse("2026Q2")).to_pylist()}
    assert set(rows) == {"a", "b"}  # c has no order of positive net amount; A4 is after the period
    assert rows["a"] == {
        "customer_id": "a",
        "repeat_orders": 2,  # A2 and A3 after A1; the return R2 is not an order
        "days_first_to_last": (date(2026, 5, 31) - date(2026, 1, 10)).days,
        "days_since_first": (date(2026, 6, 30) - date(2026, 1, 10)).days,
        "repeat_value": 50.0,  # (40 + 60) / 2: the first order's 50 is not a repeat
    }
    assert rows["b"] == {
        "customer_id": "b",
        "repeat_orders": 0,
        "days_first_to_last": 0,
        "days_since_first": 0,
        "repeat_value": 0.0,
    }


def test_actuals_count_the_horizons_orders_as_of_its_end(history) -> None:
    done = {r["customer_id"]: r for r in actuals(history, date(2026, 3, 31), date(2026, 9, 30)).to_pylist()}
    assert done == {
        "a": {"customer_id": "a", "orders": 2, "value": 85.0},
        "b": {"customer_id": "b", "orders": 1, "value": 15.0},
    }


@pytest.mark.parametrize(
    ("period", "days", "year"),
    [("2026Q2", 92, 365), ("2026-02", 31, 365), ("2027Q4", 91, 366), ("2026Q4", 90, 365)],
)
def test_horizons_are_the_next_period_and_the_next_twelve_months(period: str, days: int, year: int) -> None:
    assert horizon_days(Period.parse(period)) == (days, year)


def test_at_risk_is_valuable_and_slipping_away() -> None:
    p_active = np.array([0.9, 0.3, 0.2, 0.1, 0.4])
    if_active = np.array([100.0, 200.0, 10.0, 500.0, 900.0])
    segmented = np.array([True, True, True, True, False])
    risky = at_risk(p_active, if_active, segmented, below=0.5)
    # The top quarter of the segmented customers' values starts at 275 (quantile .75 of 10, 100, 200, 500).
    assert risky.tolist() == [False, False, False, True, True]
    assert not at_risk(p_active, if_active, segmented, below=0.05).any()


def test_segment_outlook_sums_and_averages_per_segment_and_leaves_the_unsegmented_out() -> None:
    rows = pa.table(
        {
            "segment_id": pa.array([1, 1, 2, None], pa.int32()),
            "p_active": [0.8, 0.6, 0.5, 0.1],
            "expected_orders": [2.0, 1.0, 0.5, 9.0],
            "expected_value_12m": [100.0, 50.0, 10.0, 999.0],
            "at_risk": [False, True, False, True],
        }
    )
    summary = segment_outlook(rows).set_index("segment_id")
    assert summary.loc[1].to_dict() == pytest.approx(
        {
            "mean_p_active": 0.7,
            "expected_orders": 3.0,
            "expected_value_12m": 150.0,
            "customers_at_risk": 1,
            "share_at_risk": 0.5,
        }
    )
    assert summary.index.tolist() == [1, 2]


def test_a_segment_whose_chance_of_being_active_falls_is_flagged() -> None:
    now = pd.DataFrame({"segment_id": [1, 2, 3], "mean_p_active": [0.5, 0.88, 0.7]})
    before = pd.DataFrame({"segment_id": [1, 2], "mean_p_active": [0.8, 0.9]})
    flags = p_active_drift(now, before, {1: "Loyal", 2: "New"}, drop=0.1)
    assert flags["segment_id"].tolist() == [1]
    assert flags["flag"].tolist() == ["p_active_drop"]
    assert (
        flags["reason"].item() == "segment 1 'Loyal': its customers' mean chance of being active fell from 80% to 50%"
    )


def test_segments_of_customers_not_segmented_are_null() -> None:
    found = segments_of(pa.chunked_array([["x", "y", "z"]]), pa.chunked_array([["z", "x"]]), np.array([4, 2]))
    assert found.to_pylist() == [2, None, 4]


def test_a_saved_model_loads_only_with_its_checksum(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    T = rng.uniform(30, 600, 3_000).round()
    made = clv.simulate_bgnbd(clv.BgNbd(0.9, 60.0, 0.8, 3.5), T, random_state=1)
    m_x = np.where(made.x > 0, rng.gamma(6.0, 5.0, len(T)), 0.0)
    fitted = clv.fit_forecast_model(made.x, made.t_x, T, m_x, sample_size=None)
    path = tmp_path / "forecast.json"
    digest = save_model(fitted, path)
    assert load_model(str(path), sha256=digest) == fitted
    json.loads(path.read_text(encoding="utf-8"))  # plain JSON: nothing to unpickle
    path.write_text(path.read_text(encoding="utf-8").replace("0.", "1.", 1), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_model(str(path), sha256=digest)
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_model(str(tmp_path / "gone.json"), sha256=digest)
