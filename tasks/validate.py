"""Validate: check the typed rows against the input contract, collecting every failure at once.
Any failure fails the run: the failures are stored, nothing is published."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pa_errors
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.input import CANONICAL_HEADERS, CATEGORY, NUMBER, TEXT, WHOLE, CustomerInput
from segmentation.errors import ValidationFailed
from segmentation.failures import FAILURE_COLUMNS, failure_report
from segmentation.results import Ingested
from segmentation.source import Source
from warehouse import scratch, sql

COLUMN_TYPES = {"customer_id": TEXT, "gender": CATEGORY, "age": WHOLE, "annual_income": NUMBER, "spending_score": WHOLE}


def contract_frame(table: pa.Table) -> pd.DataFrame:
    """The typed rows as the frame the contract checks, indexed by source line: Arrow-backed
    columns over DuckDB's result (no copy), gender dictionary-encoded."""
    columns = {name: table.column(name) for name in COLUMN_TYPES}
    columns["gender"] = columns["gender"].dictionary_encode()
    frame = pd.DataFrame({name: pd.Series(column, dtype=COLUMN_TYPES[name]) for name, column in columns.items()})
    frame.index = pd.Index(table.column("source_line").to_numpy(), name="source_line")
    return frame


def duplicate_ids(table: pa.Table) -> pd.DataFrame:
    """FAILURE_COLUMNS rows for every row whose customer id another row has too."""
    with scratch() as con:
        con.register("typed_rows", table)
        return con.execute(sql("parse/duplicate_ids")).df()


def control_characters(table: pa.Table) -> pd.DataFrame:
    """FAILURE_COLUMNS rows for every id or gender holding a control character (NUL, tab, ...)."""
    with scratch() as con:
        con.register("typed_rows", table.select(["source_line", "customer_id", "gender"]))
        return con.execute(sql("parse/parse_control_characters")).df()


def contract_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Run the pandera contract lazily and return its failures as FAILURE_COLUMNS rows."""
    try:
        CustomerInput.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return pd.DataFrame(
            {
                "column_name": cases["column"],
                "check_name": cases["check"].astype(str),
                "failure_case": cases["failure_case"].map(_as_text),
                "source_line": pd.array(cases["index"], dtype="Int64"),
            }
        )
    except pa_errors.SchemaError as exc:  # not lazy-collectable: neither class subclasses the other
        return pd.DataFrame([{"column_name": None, "check_name": str(exc), "failure_case": None, "source_line": None}])
    return pd.DataFrame(columns=FAILURE_COLUMNS)


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def combine_failures(parsed: pd.DataFrame, checked: pd.DataFrame) -> pd.DataFrame:
    """Parse failures and contract failures, one row per failed check of one value, by line.

    A value that did not parse is NULL in the typed rows; its null failure would say the same
    thing again, so it is dropped.

    Args:
        parsed: FAILURE_COLUMNS rows from parse_failures.sql.
        checked: FAILURE_COLUMNS rows from the contract.

    Returns:
        FAILURE_COLUMNS rows, ordered by line and column.
    """
    already = set(zip(parsed["column_name"], parsed["source_line"], strict=True))
    repeats = checked["check_name"].eq("not_nullable") & pd.Series(
        [(c, line) in already for c, line in zip(checked["column_name"], checked["source_line"], strict=True)],
        index=checked.index,
        dtype=bool,
    )
    frames = [f for f in (parsed[FAILURE_COLUMNS], checked.loc[~repeats, FAILURE_COLUMNS]) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    failures = pd.concat(frames, ignore_index=True).astype({"source_line": "Int64"})
    return failures.sort_values(["source_line", "column_name"], na_position="first").reset_index(drop=True)


def check_rows(ingested: Ingested) -> pd.DataFrame:
    """Every failure of the typed rows: unparsable numbers first found by ingest, then the contract.

    Returns:
        FAILURE_COLUMNS rows; empty when every row meets the contract.
    """
    parsed = ingested.parse_failures if ingested.parse_failures is not None else pd.DataFrame(columns=FAILURE_COLUMNS)
    checked = contract_failures(contract_frame(ingested.table))
    # The pass over the CSV's bytes knows when no value can hold one (10M rows: 2 s saved).
    layout = ingested.layout
    controls = control_characters(ingested.table) if layout is None or layout.controls else None
    found = [f for f in (duplicate_ids(ingested.table), controls) if f is not None and not f.empty]
    if found:
        checked = pd.concat([checked, *found], ignore_index=True)
    return combine_failures(parsed, checked)


@task(cache_policy=NO_CACHE)
def validate(ingested: Ingested) -> pa.Table:
    """Check the typed rows against the contract; raise with every failure if any."""
    failures = check_rows(ingested)
    if failures.empty:
        get_run_logger().info("%d rows meet the input contract", ingested.n_rows)
        return ingested.table
    raise ValidationFailed(report(failures, ingested.source), failures)


def report(failures: pd.DataFrame, source: Source | str) -> str:
    """The validation report of a customer table (segmentation/failures.py)."""
    return failure_report(failures, source=source, headers=CANONICAL_HEADERS)
