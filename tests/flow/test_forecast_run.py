"""Looking forward through the real command and flow: an order history drawn from BG/NBD and
Gamma-Gamma themselves, so the forecast's parameters, predictions and backtests can be checked
against the truth that made the data and against an independent count of what happened."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from segmentation.sample import simulate_orders, write_orders
from tests.helpers import FAST, bi_of, invoke_json, query, succeed

TRUTH = {
    "bgnbd_r": 0.9,
    "bgnbd_alpha": 60.0,
    "bgnbd_a": 0.8,
    "bgnbd_b": 3.5,
    "gg_p": 6.25,
    "gg_q": 3.74,
    "gg_gamma": 15.44,
}
WITHIN = {
    "bgnbd_r": 0.10,
    "bgnbd_alpha": 0.10,
    "bgnbd_a": 0.15,
    "bgnbd_b": 0.15,
    "gg_p": 0.15,
    "gg_q": 0.15,
    "gg_gamma": 0.15,
}


def ok(*args: str | Path) -> dict:
    return succeed(*args, env=FAST)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """20,000 customers drawn from TRUTH over 2024-01 .. 2026-09, as an order file and as a frame."""
    table = simulate_orders(
        20_000,
        bgnbd=tuple(TRUTH[k] for k in ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b")),
        gamma_gamma=(TRUTH["gg_p"], TRUTH["gg_q"], TRUTH["gg_gamma"]),
        start="2024-01-01",
        end="2026-09-30",
        seed=11,
    )
    path = write_orders(table, tmp_path_factory.mktemp("forecast") / "orders.csv")
    frame = table.to_pandas().assign(order_date=lambda f: pd.to_datetime(f["order_date"]))
    return frame.assign(path=str(path))


@pytest.fixture(scope="module")
def runs(history: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """2026Q2 fitted, 2026Q3 fitted (it measures 2026Q2's forecast), 2026-10 scored with 2026Q3's model."""
    db = tmp_path_factory.mktemp("forecast-db") / "w.duckdb"
    source = history["path"].iloc[0]
    q2 = ok("run", "--orders", source, "--period", "2026Q2", "--db", db)
    q3 = ok("run", "--orders", source, "--period", "2026Q3", "--db", db)
    october = ok("score", "--orders", source, "--period", "2026-10", "--db", db)
    return {"db": db, "q2": q2, "q3": q3, "october": october, "source": source}


def model(db: Path, run_id: str) -> dict[str, object]:
    return query(db, "SELECT * FROM forecast_models WHERE run_id = ?", [run_id]).iloc[0].to_dict()


def test_the_parameters_are_those_that_made_the_data(runs: dict[str, object]) -> None:
    fitted = model(runs["db"], runs["q2"]["run_id"])
    for name, truth in TRUTH.items():
        assert abs(fitted[name] / truth - 1) < WITHIN[name], (name, fitted[name], truth)
    assert fitted["converged"]
    assert fitted["fitted_run_id"] == runs["q2"]["run_id"]


def test_every_customer_seen_up_to_the_end_is_forecast_lapsed_or_not(
    runs: dict[str, object], history: pd.DataFrame
) -> None:
    seen = history.loc[history["order_date"] <= "2026-06-30", "customer_id"].nunique()
    forecasts = query(runs["db"], "SELECT * FROM customer_forecasts WHERE run_id = ?", [runs["q2"]["run_id"]])
    assert len(forecasts) == seen
    assert forecasts["customer_id"].is_unique
    assert forecasts["segment_id"].isna().any()  # lapsed beyond the window: forecast, not segmented
    assert forecasts["p_active"].between(0, 1).all()
    assert (forecasts["expected_orders_12m"] >= forecasts["expected_orders"]).all()
    first = history[history["order_date"] <= "2026-06-30"].groupby("customer_id")["order_date"].agg(["min", "count"])
    by_hand = first.loc[forecasts["customer_id"]]
    assert (forecasts["repeat_orders"].to_numpy() == by_hand["count"].to_numpy() - 1).all()
    assert (forecasts["days_since_first"].to_numpy() == (pd.Timestamp("2026-06-30") - by_hand["min"]).dt.days).all()


def test_the_next_run_measures_the_forecast_with_the_actual_orders_exact(
    runs: dict[str, object], history: pd.DataFrame
) -> None:
    db, q2 = runs["db"], runs["q2"]["run_id"]
    measured = query(
        db, "SELECT * FROM forecast_backtests WHERE forecast_run_id = ? ORDER BY segment_id NULLS FIRST", [q2]
    )
    assert measured["run_id"].unique().tolist() == [runs["q3"]["run_id"]]
    assert measured["horizon"].unique().tolist() == ["next period"]  # its 12 months have not ended by 2026Q3
    covered = query(db, "SELECT customer_id, segment_id FROM customer_forecasts WHERE run_id = ?", [q2])
    quarter = history[(history["order_date"] > "2026-06-30") & (history["order_date"] <= "2026-09-30")]
    placed = quarter[quarter["customer_id"].isin(covered["customer_id"])]
    total = measured[measured["segment_id"].isna()].iloc[0]
    assert total["actual_orders"] == len(placed)
    assert total["actual_value"] == pytest.approx(placed["amount"].sum())
    assert total["customers"] == len(covered)
    assert abs(total["predicted_orders"] / total["actual_orders"] - 1) < 0.10
    per_segment = placed.merge(covered, on="customer_id").groupby("segment_id").size()
    segments = measured.dropna(subset=["segment_id"]).set_index("segment_id")["actual_orders"]
    assert segments.to_dict() == per_segment.to_dict()


def test_every_segment_has_its_outlook_and_bi_reads_the_forecasts(runs: dict[str, object]) -> None:
    db, q3 = runs["db"], runs["q3"]["run_id"]
    profiles = query(db, "SELECT * FROM segment_profiles WHERE run_id = ?", [q3])
    for column in ("mean_p_active", "expected_orders", "expected_value_12m", "customers_at_risk", "share_at_risk"):
        assert profiles[column].notna().all(), column
    served = query(bi_of(db), "SELECT count(*) AS n, count(segment_name) AS named FROM current_customer_forecasts")
    assert served["n"].item() > served["named"].item() > 0  # the current run's customers; segmented ones named
    accuracy = query(bi_of(db), "SELECT * FROM forecast_accuracy WHERE segment_id IS NULL")
    assert accuracy["forecast_run_id"].tolist() == [runs["q2"]["run_id"]]
    assert runs["q3"]["expected_orders"] > 0
    assert runs["q3"]["customers_at_risk"] >= 0


def test_a_score_run_forecasts_with_its_model_runs_parameters_and_refits_nothing(runs: dict[str, object]) -> None:
    db = runs["db"]
    scored, fitted = model(db, runs["october"]["run_id"]), model(db, runs["q3"]["run_id"])
    assert scored["fitted_run_id"] == runs["q3"]["run_id"]
    for name in TRUTH:
        assert scored[name] == fitted[name]
    assert scored["horizon_days"] == 30  # the next period of a monthly run is November
    assert scored["model_path"] == fitted["model_path"]


def test_a_changed_forecast_model_file_is_refused(runs: dict[str, object], tmp_path: Path) -> None:
    db = runs["db"]
    path = Path(model(db, runs["q3"]["run_id"])["model_path"])
    saved = path.read_text(encoding="utf-8")
    parameters = json.loads(saved)
    path.write_text(json.dumps({**parameters, "bgnbd_r": parameters["bgnbd_r"] * 2}), encoding="utf-8")
    try:
        result, document = invoke_json("score", "--orders", runs["source"], "--period", "2026-11", "--db", db, env=FAST)
    finally:
        path.write_text(saved, encoding="utf-8")
    assert result.exit_code == 1
    assert "forecast model" in document["error"]
    assert "sha256" in document["error"]


def test_a_customer_table_has_no_forecast_and_says_so(mall_run: object) -> None:
    assert "no order history" in mall_run.summary["forecast"]
    assert mall_run.summary["expected_orders"] is None
    assert query(mall_run.db, "SELECT count(*) AS n FROM customer_forecasts")["n"].item() == 0
    assert query(mall_run.db, "SELECT mean_p_active FROM segment_profiles")["mean_p_active"].isna().all()
