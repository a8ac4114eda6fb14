"""Every read of the warehouse, one function each; the SQL lives in `warehouse/sql/queries/`.

Stages, flows and the command line ask here instead of writing SQL: a function takes an open
connection (from the warehouse handle) and plain parameters, binds them (`?`), and returns a frame,
a row or plain values. "What does this read?" then has one answer: this file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from warehouse.connection import sql

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# --- runs, models and periods (stages) ---

# --- the command line (runs, show, score pre-checks) ---


def run_history(con: duckdb.DuckDBPyConnection, *, period: str | None, limit: int) -> pd.DataFrame:
    """Runs newest first, of one period or all, at most `limit` (`segment runs`; the BI surface)."""
    return con.execute(sql("list_runs"), [period, limit]).df()


def fitted_run(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[Any, ...] | None:
    """A succeeded fitted run: (run_id, period, model_path, model_sha256, period_end); None if it is not one."""
    return con.execute(sql("find_model_run"), [run_id]).fetchone()


def newest_fitted_run_by(con: duckdb.DuckDBPyConnection, period_end: date) -> tuple[Any, ...] | None:
    """The fitted run a period ending at `period_end` is scored with by default: (run_id, period,
    model_path, model_sha256); None when no succeeded fit of a period ending by then exists."""
    return con.execute(sql("find_current_model_run"), [period_end]).fetchone()


def run_since(con: duckdb.DuckDBPyConnection, period: str, started: datetime) -> str | None:
    """The newest run of `period` started at or after `started` (the run a backfill just made), if any."""
    row = con.execute(sql("find_run_since"), [period, started]).fetchone()
    return row[0] if row else None
