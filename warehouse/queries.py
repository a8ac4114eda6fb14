"""Every read of the warehouse, one function each; the SQL lives in `warehouse/sql/queries/`.

Stages, flows and the command line ask here instead of writing SQL: a function takes an open
connection (from the warehouse handle) and plain parameters, binds them (`?`), and returns a frame,
a row or plain values. "What does this read?" then has one answer: this file.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from warehouse.connection import sql

Connection = duckdb.DuckDBPyConnection

# --- runs, models and periods (stages) ---


def succeeded_run(con: Connection, period: str) -> str | None:
    """The run_id of a period's newest succeeded run, if any."""
    row = con.execute(sql("queries/find_succeeded_run"), [period]).fetchone()
    return row[0] if row else None


def succeeded_run_with_k(con: Connection, period: str) -> tuple[str, int] | None:
    """(run_id, k) of a period's newest succeeded run, if any."""
    return con.execute(sql("queries/find_succeeded_run"), [period]).fetchone()


def run_since(con: Connection, period: str, started: datetime) -> str | None:
    """The run_id of the newest run of a period started at or after `started`, failed or not."""
    row = con.execute(sql("queries/find_run_since"), [period, started]).fetchone()
    return row[0] if row else None


def period_run(con: Connection, period: str) -> tuple[str, str | None] | None:
    """(run_id, reference_run_id) of a period's current run, if it has one."""
    return con.execute(sql("queries/find_period_run"), [period]).fetchone()


def earlier_run(con: Connection, before: date) -> str | None:
    """The run_id of the current run of the nearest period that ended before `before`."""
    row = con.execute(sql("queries/find_earlier_run"), [before]).fetchone()
    return row[0] if row else None


def later_run(con: Connection, after: date) -> str | None:
    """The run_id of the current run of the nearest period that starts after `after`."""
    row = con.execute(sql("queries/find_later_run"), [after]).fetchone()
    return row[0] if row else None


def run_for_matching(con: Connection, run_id: str) -> tuple[str, str | None, str | None, str | None, str, date] | None:
    """(features, feature_scaling, model_path, model_sha256, period, period_end) of a run."""
    return con.execute(sql("queries/run_for_matching"), [run_id]).fetchone()


def model_run(con: Connection, run_id: str) -> tuple[str, str, str, str, date] | None:
    """(run_id, period, model_path, model_sha256, period_end) of a succeeded fitted run, if it is one."""
    return con.execute(sql("queries/find_model_run"), [run_id]).fetchone()


def current_model_run(con: Connection, period_end: date) -> tuple[str, str, str, str] | None:
    """(run_id, period, model_path, model_sha256) of the newest fitted run of the latest period
    ending at or before `period_end`, if any."""
    return con.execute(sql("queries/find_current_model_run"), [period_end]).fetchone()


def segment_names(con: Connection, run_id: str) -> dict[int, str]:
    """A run's segment names by segment_id."""
    return dict(con.execute(sql("queries/segment_names_of_run"), [run_id]).fetchall())


def segments_of_run(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's segments with their sizes, centres and means, by segment_id."""
    return con.execute(sql("queries/segments_of_run"), [run_id]).df()


def customer_segments(con: Connection, run_id: str) -> pa.Table:
    """A run's assignment: customer_id, segment_id."""
    return con.execute(sql("queries/customer_segments_of_run"), [run_id]).to_arrow_table()


def max_segment_id(con: Connection) -> int:
    """The largest segment ID ever issued in the warehouse, 0 when none."""
    return con.execute(sql("queries/max_segment_id")).fetchone()[0]


def transitions(con: Connection, reference_run_id: str, assignments: pa.Table) -> pd.DataFrame:
    """Customers of the reference run and of `assignments` (customer_id, segment_id), counted by
    the move they made: from_segment, to_segment (NULL: new or gone), n_customers."""
    con.register("current_assignments", assignments)
    try:
        return con.execute(sql("queries/transitions"), [reference_run_id]).df()
    finally:
        con.unregister("current_assignments")


# --- forecasts (tasks/forecast.py) ---


def forecasts_to_measure(con: Connection, period_start: date, period_end: date) -> list[tuple]:
    """(forecast_run_id, forecast_period, horizon, horizon_start, horizon_end) of every earlier
    forecast a run of the period measures (forecasts_to_measure.sql)."""
    return con.execute(sql("queries/forecasts_to_measure"), [period_start, period_end]).fetchall()


def backtest_of_forecast(con: Connection, forecast_run_id: str, horizon: str, actuals: pa.Table) -> pd.DataFrame:
    """One forecast against what happened (`actuals`: customer_id, orders, value), in total
    (segment_id NULL) and per segment: segment_id, customers, predicted and actual orders and value."""
    con.register("horizon_actuals", actuals)
    try:
        return con.execute(sql("queries/backtest_of_forecast"), [forecast_run_id, horizon]).df()
    finally:
        con.unregister("horizon_actuals")


def forecast_model(con: Connection, run_id: str) -> tuple[str, str, str] | None:
    """(model_path, model_sha256, fitted_run_id) of the forecast a run made, if it made one."""
    return con.execute(sql("queries/forecast_model_of_run"), [run_id]).fetchone()


def segment_outlook(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's segments' mean chance of being active: segment_id, segment_name, mean_p_active."""
    return con.execute(sql("queries/segment_outlook_of_run"), [run_id]).df()


# Reports (a run's own, from the warehouse; `segment show` and `segment report`, from the BI surface)


def default_run(con: Connection) -> str | None:
    """The current run, else the newest run; None in an empty warehouse."""
    return con.execute(sql("queries/find_default_run")).fetchone()[0]


def run_of_period(con: Connection, period: str) -> str | None:
    """A period's current run, else its newest run whatever its outcome."""
    row = con.execute(sql("queries/find_run_of_period"), [period]).fetchone()
    return row[0] if row else None


def runs_starting_with(con: Connection, prefix: str) -> list[str]:
    """At most two run_ids that start with `prefix`, newest first (two: enough to say it is ambiguous)."""
    return [row[0] for row in con.execute(sql("queries/find_run"), [prefix]).fetchall()]


def report_run(con: Connection, run_id: str) -> dict[str, object]:
    """A run's record, with whether it is current and its reference's and model's periods."""
    return con.execute(sql("queries/report_run"), [run_id]).df().iloc[0].to_dict()


def report_k_table(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's candidate k, one row each, by k."""
    return con.execute(sql("queries/report_k_table"), [run_id]).df()


def report_profiles(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's segment profiles, by segment_id."""
    return con.execute(sql("queries/report_profiles"), [run_id]).df()


def report_lineage(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's segment lineage, retired segments last."""
    return con.execute(sql("queries/report_lineage"), [run_id]).df()


def report_transitions(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's transitions with the segments' names then and now."""
    return con.execute(sql("queries/report_transitions"), [run_id]).df()


def report_flags(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's drift flags."""
    return con.execute(sql("queries/report_flags"), [run_id]).df()


def report_failures(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's validation failures, by source line."""
    return con.execute(sql("queries/report_failures"), [run_id]).df()


def report_forecast(con: Connection, run_id: str) -> dict[str, object] | None:
    """A run's forecast_models row, or None (a customer table's run)."""
    frame = con.execute(sql("queries/report_forecast"), [run_id]).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def report_accuracy(con: Connection, period_end: date) -> pd.DataFrame:
    """The next-period forecasts of periods up to `period_end` against what happened, over all customers."""
    return con.execute(sql("queries/report_accuracy"), [period_end]).df()


def report_at_risk(con: Connection, run_id: str, limit: int) -> pd.DataFrame:
    """A run's customers at risk, the most valuable first."""
    return con.execute(sql("queries/report_at_risk"), [run_id, limit]).df()


def report_sample(con: Connection, run_id: str) -> pd.DataFrame:
    """A run's plotting sample: segment and every feature column."""
    return con.execute(sql("queries/report_sample"), [run_id]).df()


# --- the command line (runs, show, score pre-checks) ---


def run_history(con: Connection, *, period: str | None, limit: int) -> pd.DataFrame:
    """Runs newest first, of one period or all, at most `limit` (`segment runs`; the BI surface)."""
    return con.execute(sql("queries/list_runs"), [period, limit]).df()
