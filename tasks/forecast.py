"""Forecast: segments that look forward, and every forecast checked against what happened.

For an order history, per fitted run: BG/NBD (orders) and Gamma-Gamma (order value) fitted
(segmentation/clv.py) on every customer seen up to the period's end, lapsed beyond the lookback
window or not (leaving them out would bias the chance of being active upwards), on a seeded sample
beyond SEGMENT_FORECAST_SAMPLE_SIZE. A score run uses its model run's parameters and refits nothing.
Per customer: the chance of still being a customer (p_active), the orders and value to expect in
the next period of the run's cadence and in the next 12 months (undiscounted: it is what a later
run compares with what came). Per segment: the mean chance, the sums, and the customers at risk.

At risk: valuable but slipping away. A customer is at risk when the value they would bring in the
next 12 months if they are still a customer (expected_value_12m / p_active: BG/NBD's expectation
is the chance of being active times the expectation of an active customer) is in the top quarter
of the period's segmented customers, and their chance of being active is below
SEGMENT_AT_RISK_BELOW (one half). Their expected value itself cannot be the test: a low chance of
being active already lowers it, so a valuable customer who is slipping would never look valuable.

Each run then measures every earlier forecast whose horizon has ended by its own period's end
(the current run of each earlier period; a horizon measured once is not measured again, unless it
ends in this period): the orders and value the forecast's customers really placed in it, from this
run's own order history, in total and per segment of the forecasting run (forecast_backtests).
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation import clv
from segmentation.errors import ModelIntegrityError, PipelineError
from segmentation.files import sha256_file
from segmentation.periods import Period
from segmentation.results import FLAG_COLUMNS, OrderHistory, Outlook
from segmentation.settings import Settings
from warehouse import Warehouse, open_order_store, queries, sql

HORIZONS = ("next period", "12 months")
TOP_QUARTER = 0.75  # "valuable": at or above this quantile of the period's segmented customers
MODEL_FILE = "forecast.json"
SEGMENT_COLUMNS = ["segment_id", "mean_p_active", "expected_orders", "expected_value_12m", "customers_at_risk",
                   "share_at_risk"]  # fmt: skip
BACKTEST_COLUMNS = ["forecast_run_id", "forecast_period", "horizon", "horizon_start", "horizon_end", "segment_id",
                    "customers", "predicted_orders", "actual_orders", "predicted_value", "actual_value"]  # fmt: skip


def horizon_days(period: Period) -> tuple[int, int]:
    """Days of the next period of the run's cadence, and of the next 12 months, after its end."""
    next_end = period.shift(1).end
    year_end = period.shift(12 // period.months).end
    return (next_end - period.end).days, (year_end - period.end).days


def histories(history: OrderHistory, period: Period) -> pa.Table:
    """Every customer's order history as of the period's end, as the models read it (customer_histories.sql)."""
    with closing(open_order_store(history.store, period.end)) as con:
        return con.execute(sql("orders/customer_histories"), [period.end]).to_arrow_table()


def actuals(history: OrderHistory, start: date, end: date) -> pa.Table:
    """Each customer's orders and their value in (start, end] (horizon_actuals.sql)."""
    with closing(open_order_store(history.store, end)) as con:
        return con.execute(sql("orders/horizon_actuals"), [start]).to_arrow_table()


def model_inputs(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T, m_x) as the models take them, from customer_histories' columns."""
    names = ("repeat_orders", "days_first_to_last", "days_since_first", "repeat_value")
    return tuple(table.column(name).to_numpy().astype(np.float64) for name in names)  # type: ignore[return-value]


def segments_of(customer_ids: pa.ChunkedArray, segmented: pa.ChunkedArray, segment_ids: np.ndarray) -> pa.Array:
    """Each customer's segment (NULL for customers not segmented in the period)."""
    position = pc.index_in(customer_ids, value_set=pa.chunked_array(segmented).combine_chunks())
    return pc.take(pa.array(segment_ids, type=pa.int32()), position)


def at_risk(p_active: np.ndarray, value_if_active: np.ndarray, segmented: np.ndarray, *, below: float) -> np.ndarray:
    """Valuable but slipping away (see the module docstring).

    Args:
        p_active: chance of being active, per customer.
        value_if_active: expected 12-month value (or orders) of the customer if still active.
        segmented: whether each customer is segmented in the period (whose values set the quarter).
        below: the chance of being active under which a valuable customer is at risk.

    Returns:
        One boolean per customer.
    """
    reference = value_if_active[segmented] if segmented.any() else value_if_active
    if len(reference) == 0:
        return np.zeros(len(p_active), dtype=bool)
    threshold = float(np.quantile(reference, TOP_QUARTER))
    return (p_active < below) & (value_if_active >= threshold) & (value_if_active > 0)


def outlook_rows(
    model: clv.ForecastModel,
    table: pa.Table,
    segment: pa.Array,
    *,
    days: int,
    days_12m: int,
    at_risk_below: float,
) -> pa.Table:
    """customer_forecasts' rows (but run_id and period) for every customer of `table` (customer_histories)."""
    x, t_x, T, m_x = model_inputs(table)
    soon = clv.forecast(model, x, t_x, T, m_x, horizon_days=days)
    year_orders = model.bgnbd.expected_orders(x, t_x, T, horizon_days=days_12m)
    value = soon.expected_order_value
    year_value = None if value is None else year_orders * value
    active = np.maximum(soon.p_active, 1e-12)
    if_active = (year_value if year_value is not None else year_orders) / active
    risky = at_risk(soon.p_active, if_active, pc.is_valid(segment).to_numpy(zero_copy_only=False), below=at_risk_below)
    return pa.table(
        {
            "customer_id": table.column("customer_id"),
            "segment_id": segment,
            "repeat_orders": table.column("repeat_orders"),
            "days_first_to_last": table.column("days_first_to_last"),
            "days_since_first": table.column("days_since_first"),
            "p_active": soon.p_active,
            "expected_orders": soon.expected_orders,
            "expected_orders_12m": year_orders,
            "expected_order_value": pa.nulls(len(x), pa.float64()) if value is None else value,
            "expected_value": pa.nulls(len(x), pa.float64()) if value is None else soon.expected_value,
            "expected_value_12m": pa.nulls(len(x), pa.float64()) if year_value is None else year_value,
            "at_risk": risky,
        }
    )


def segment_outlook(rows: pa.Table) -> pd.DataFrame:
    """Per segment: mean chance of being active, orders (next period) and 12-month value summed, at risk."""
    frame = rows.select(["segment_id", "p_active", "expected_orders", "expected_value_12m", "at_risk"]).to_pandas()
    grouped = frame.dropna(subset=["segment_id"]).groupby("segment_id")
    summary = grouped.agg(
        mean_p_active=("p_active", "mean"),
        expected_orders=("expected_orders", "sum"),
        expected_value_12m=("expected_value_12m", lambda v: v.sum() if v.notna().any() else np.nan),
        customers_at_risk=("at_risk", "sum"),
        share_at_risk=("at_risk", "mean"),
    )
    summary = summary.reset_index().astype({"segment_id": "int64", "customers_at_risk": "int64"})
    return summary[SEGMENT_COLUMNS]


def p_active_drift(segments: pd.DataFrame, before: pd.DataFrame, names: dict[int, str], *, drop: float) -> pd.DataFrame:
    """A drift flag per segment whose mean chance of being active fell by more than `drop` since
    the compared run (FLAG_COLUMNS)."""
    then = before.set_index("segment_id")["mean_p_active"] if len(before) else pd.Series(dtype=float)
    flags = []
    for row in segments.itertuples():
        if row.segment_id not in then.index:
            continue
        fall = float(then[row.segment_id] - row.mean_p_active)
        if fall > drop:
            name = names.get(int(row.segment_id), "")
            reason = (
                f"segment {row.segment_id} {name!r}: its customers' mean chance of being active fell from "
                f"{then[row.segment_id]:.0%} to {row.mean_p_active:.0%}"
            )
            flags.append((int(row.segment_id), "p_active_drop", fall, drop, reason))
    return pd.DataFrame(flags, columns=FLAG_COLUMNS).astype({"segment_id": "Int64"})


def save_model(model: clv.ForecastModel, path: Path) -> str:
    """The model's parameters as JSON (plain numbers: no pickle to trust); returns its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(model.to_dict(), indent=2, sort_keys=True), encoding="utf-8")
    partial.replace(path)
    return sha256_file(path)


def load_model(path: str, *, sha256: str) -> clv.ForecastModel:
    """A saved model, refused unless its bytes are the recorded ones."""
    file = Path(path)
    if not file.is_file():
        raise ModelIntegrityError(f"forecast model {file} is missing; its run recorded sha256 {sha256}")
    found = sha256_file(file)
    if found != sha256:
        raise ModelIntegrityError(f"forecast model {file} has sha256 {found}, not the {sha256} its run recorded")
    return clv.ForecastModel.from_dict(json.loads(file.read_text(encoding="utf-8")))


def measure(warehouse: Warehouse, history: OrderHistory, period: Period) -> pd.DataFrame:
    """Every earlier forecast whose horizon has ended by the period's end, against what happened
    (BACKTEST_COLUMNS)."""
    with warehouse.read() as con:
        due = queries.forecasts_to_measure(con, period.start, period.end)
    frames = []
    for forecast_run_id, forecast_period, horizon, start, end in due:
        done = actuals(history, start, end)
        with warehouse.read() as con:
            rows = queries.backtest_of_forecast(con, forecast_run_id, horizon, done)
        frames.append(
            rows.assign(
                forecast_run_id=forecast_run_id,
                forecast_period=forecast_period,
                horizon=horizon,
                horizon_start=start,
                horizon_end=end,
            )
        )
    if not frames:
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    return pd.concat(frames, ignore_index=True)[BACKTEST_COLUMNS]


@task(cache_policy=NO_CACHE)
def look_forward(
    settings: Settings,
    warehouse: Warehouse,
    *,
    run_id: str,
    period: Period,
    history: OrderHistory,
    customers: pa.Table,
    segment_ids: np.ndarray,
    names: dict[int, str],
    model_run_id: str | None,
    compared_run_id: str | None,
) -> Outlook:
    """Forecast every customer seen up to the period's end; sum per segment; measure earlier forecasts."""
    logger = get_run_logger()
    table = histories(history, period)
    if table.num_rows == 0:
        raise PipelineError(f"{history.name}: no customer has an order up to {period.end} to forecast")
    if model_run_id is None:  # a fitted run fits; a score run uses its model run's parameters
        model = clv.fit_forecast_model(
            *model_inputs(table), sample_size=settings.forecast_sample_size, random_state=settings.random_state
        )
        path = (settings.artifacts_root / run_id / MODEL_FILE).resolve()
        artifact, fitted = (str(path), save_model(model, path)), run_id
    else:
        with warehouse.read() as con:
            found = queries.forecast_model(con, model_run_id)
        if found is None:
            raise PipelineError(f"run {model_run_id} has no forecast model to score {period} with")
        model, artifact, fitted = load_model(found[0], sha256=found[1]), (found[0], found[1]), found[2]
    days, days_12m = horizon_days(period)
    segment = segments_of(table.column("customer_id"), customers.column("customer_id"), segment_ids)
    rows = outlook_rows(model, table, segment, days=days, days_12m=days_12m, at_risk_below=settings.at_risk_below)
    segments = segment_outlook(rows)
    before = pd.DataFrame(columns=["segment_id", "mean_p_active"])
    if compared_run_id is not None:
        with warehouse.read() as con:
            before = queries.segment_outlook(con, compared_run_id)
    flags = p_active_drift(segments, before, names, drop=settings.drift_p_active_drop)
    backtests = measure(warehouse, history, period)
    logger.info(
        "forecast %d customers (BG/NBD r=%.3g alpha=%.3g/day a=%.3g b=%.3g%s): %d at risk; %d earlier forecast(s) "
        "measured",
        table.num_rows,
        model.bgnbd.r,
        model.bgnbd.alpha,
        model.bgnbd.a,
        model.bgnbd.b,
        "" if model.gamma_gamma else "; no spend model: " + (model.reason or ""),
        int(pc.sum(rows.column("at_risk")).as_py() or 0),
        len(backtests.drop_duplicates(["forecast_run_id", "horizon"])) if len(backtests) else 0,
    )
    if not model.converged:
        logger.warning("the forecast models did not converge: %s", model.reason)
    return Outlook(model, fitted, artifact, days, days_12m, rows, segments, flags, backtests)
