"""Ingest: DuckDB reads the source and types it; what moves on is Arrow columns, not text.

The source is checked and its header matched to the contract first (`segmentation.source`). DuckDB then
reads a CSV with its numbers typed by the CSV reader itself, in one pass; if any value cannot be
read as a number, it reads the file again with every contract column as text and parses the
numbers in SQL, so that validation can report every bad value with its line instead of the
reader stopping at the first. Either way one typed Arrow table moves on. Nothing of the source
is written to the warehouse unless SEGMENT_RAW_RETENTION asks for it.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.csvfile import (
    CsvLayout,
    checked_csv,
    describe_csv_error,
    refuse_bad_records,
    relined,
    shown,
)
from segmentation.errors import InputFileError, PipelineError
from segmentation.files import sha256_file
from segmentation.registry import CUSTOMER_NUMERIC
from segmentation.results import Ingested
from segmentation.settings import Settings
from segmentation.source import Source, inspect_source
from warehouse import Warehouse, WarehouseError, scratch, sql


def layout_of(source: Source) -> CsvLayout | None:
    """Every byte of a CSV source checked, and what DuckDB reads (None for Parquet); made once per
    run and passed to every reader of the file."""
    return checked_csv(source.path, source.delimiter or ",") if source.kind == "csv" else None


def open_source(con: duckdb.DuckDBPyConnection, source: Source, layout: CsvLayout | None) -> None:
    """Define the temporary view `source_rows` (contract columns as text) over the source."""
    con.execute(sql("parse/parse_macros"))
    if source.kind == "parquet":
        names = [source.columns[c] for c in source.columns]
        try:
            with source.path.open("rb") as handle:  # a handle: Arrow cannot open a name that is not UTF-8
                table = pq.read_table(handle, columns=names).rename_columns(list(source.columns))
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputFileError(f"{shown(source.path)}: cannot be read as Parquet ({exc})") from None
        lines = pa.array(range(1, table.num_rows + 1), type=pa.int64())
        con.register("source_arrow", table.append_column("source_line", lines))
        con.execute(sql("parse/source_parquet"))
        return
    set_csv_variables(con, source, layout)
    con.execute(sql("parse/source_csv"))


def set_csv_variables(con: duckdb.DuckDBPyConnection, source: Source, layout: CsvLayout, **types: str) -> None:
    """What warehouse/sql/parse/csv_macros.sql reads a CSV with: its path, columns (all text, or
    `types` where given) and delimiter."""
    columns = {name: types.get(name, kind) for name, kind in source.reader_columns.items()}
    con.execute("SET VARIABLE source_path = ?", [str(layout.read_path)])
    con.execute("SET VARIABLE reader_columns = ?", [columns])
    con.execute("SET VARIABLE delimiter = ?", [source.delimiter])
    con.execute(sql("parse/csv_macros"))  # after the variables: DuckDB binds read_csv's arguments when it is made


def read_numbers(con: duckdb.DuckDBPyConnection, source: Source, layout: CsvLayout) -> pa.Table | None:
    """The fast path for a CSV: numbers typed by the reader. None when some value is not a number."""
    con.execute(sql("parse/parse_macros"))
    set_csv_variables(con, source, layout, **dict.fromkeys(CUSTOMER_NUMERIC, "DOUBLE"))
    con.execute(sql("parse/source_csv_numbers"))
    try:
        return con.execute(sql("parse/typed_from_numbers")).to_arrow_table()
    except duckdb.Error:  # a value that is not a number, or a broken file: the text path says which
        return None


def _read(con: duckdb.DuckDBPyConnection, statement: str, source: Source, layout: CsvLayout | None) -> pa.Table:
    try:
        return relined(con.execute(sql(f"parse/{statement}")).to_arrow_table(), layout)
    except duckdb.Error as exc:  # whatever the bytes: a message with the file, never a traceback
        if source.kind != "csv":
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputFileError(f"{shown(source.path)}: cannot be read ({first})") from None
        refuse_bad_records(source.path, source.delimiter or ",")  # the exact line and field count, if that is it
        raise InputFileError(describe_csv_error(exc, source=shown(source.path), layout=layout)) from None


def read_typed(con: duckdb.DuckDBPyConnection, source: Source, layout: CsvLayout | None) -> tuple[pa.Table, int]:
    """The typed rows (see typed_customers.sql) and how many rows hold unparsable numbers."""
    # DuckDB's reader takes '1_000' for 1000: a file with an '_' in its data takes the text path.
    fast = layout is not None and not layout.underscores
    typed = read_numbers(con, source, layout) if fast else None
    if typed is None:
        open_source(con, source, layout)
        typed = _read(con, "typed_customers", source, layout)
    else:
        typed = relined(typed, layout)
    if typed.num_rows == 0:
        raise InputFileError(f"{shown(source.path)}: the header is there but there are no data rows")
    unparsed = typed.column("unparsed")
    return typed.drop_columns("unparsed"), pc.sum(unparsed).as_py() or 0


def parse_failures(source: Source, layout: CsvLayout | None) -> pd.DataFrame:
    """Every value that is not a (whole) number, with its line: the validation report's first part."""
    with scratch() as con:
        open_source(con, source, layout)
        failures = relined(con.execute(sql("parse/parse_failures")).to_arrow_table(), layout)
    return failures.to_pandas()


def raw_rows(source: Source, layout: CsvLayout | None) -> pa.Table:
    """The source's contract columns as written (text), for raw_customers."""
    with scratch() as con:
        open_source(con, source, layout)
        return _read(con, "raw_text_rows", source, layout)


def keep_raw_rows(warehouse: Warehouse, run_id: str, source: Source, layout: CsvLayout | None) -> int:
    """Store the source rows of a run in raw_customers; return how many."""
    try:
        rows = raw_rows(source, layout)
    finally:
        if layout is not None:
            layout.release()
    with warehouse.transaction() as con:
        con.register("raw_df", rows)
        con.execute(sql("writes/insert_raw_customers"), [run_id])
        con.unregister("raw_df")
    return rows.num_rows


def read_source(source: Source) -> Ingested:
    """Read and type an inspected source (see typed_customers.sql)."""
    layout = layout_of(source)
    try:
        with scratch() as con:
            table, unparsed = read_typed(con, source, layout)
        failures = parse_failures(source, layout) if unparsed else None
    finally:
        if layout is not None:
            layout.release()
    return Ingested(source, sha256_file(source.path), table, unparsed, layout, failures)


@task(cache_policy=NO_CACHE)
def ingest(settings: Settings, warehouse: Warehouse, run_id: str, source_path: str) -> Ingested:
    """Read and type the customer table."""
    logger = get_run_logger()
    source = inspect_source(source_path, columns=settings.columns, delimiter=settings.delimiter)
    if source.extra_columns:
        logger.info("ignoring columns outside the contract: %s", list(source.extra_columns))
    ingested = read_source(source)
    if settings.raw_retention == "all":
        keep_raw_rows(warehouse, run_id, source, layout_of(source))  # its own copy: the read one is gone
    how = f"{source.kind}, delimiter {source.delimiter!r}" if source.kind == "csv" else source.kind
    logger.info("ingested %d rows from %s (%s)", ingested.n_rows, source.path, how)
    return ingested


@task(cache_policy=NO_CACHE)
def keep_failed_source(settings: Settings, warehouse: Warehouse, run_id: str, source_path: str) -> None:
    """Store a failed run's source rows in raw_customers for whoever investigates, when the file can be read."""
    if settings.raw_retention != "failed":
        return
    try:
        source = inspect_source(source_path, columns=settings.columns, delimiter=settings.delimiter)
        kept = keep_raw_rows(warehouse, run_id, source, layout_of(source))
    except (PipelineError, WarehouseError) as reason:  # no rows to keep, or no way to keep them now
        get_run_logger().info("source rows not kept: %s", str(reason).splitlines()[0])
        return
    get_run_logger().info("kept the %d source rows of failed run %s in raw_customers", kept, run_id)
