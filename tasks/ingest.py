"""Ingest: DuckDB reads the source and types it; what moves on is Arrow columns, not text.

The source is checked and its header matched to the contract first (`segmentation.source`). DuckDB then
reads a CSV with its numbers typed by the CSV reader itself, in one pass; if any value cannot be
read as a number, it reads the file again with every contract column as text and parses the
numbers in SQL, so that validation can report every bad value with its line instead of the
reader stopping at the first. Either way one typed Arrow table moves on. Nothing of the source
is written to the warehouse unless SEGMENT_RAW_RETENTION asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.csvfile import CsvLayout, prepare_csv, record_lines_by_reading, record_problems, shown
from segmentation.errors import InputFileError
from segmentation.files import sha256_file
from segmentation.registry import CUSTOMER_NUMERIC
from segmentation.settings import Settings
from segmentation.source import Source, inspect_source
from warehouse import Warehouse, scratch, sql

_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (?P<line>\d+)")
_CSV_ORIGINAL = re.compile(r"Original Line: (?P<text>.*)")
_CSV_COLUMNS = re.compile(r"Expected Number of Columns: (?P<want>\d+) Found: (?P<got>\d+)")


@dataclass(frozen=True)
class Ingested:
    """A source read and typed: one row per data row, in file order."""

    source: Source
    source_sha256: str
    table: pa.Table  # source_line, customer_id, gender, age, annual_income, spending_score; NULL where unparsable
    unparsed_rows: int  # rows holding text that is not a (whole) number

    @property
    def n_rows(self) -> int:
        return self.table.num_rows


def describe_csv_error(exc: duckdb.Error, *, source: str, layout: CsvLayout | None = None) -> str:
    """Turn DuckDB's CSV reader error into one line naming the file, line and problem.

    DuckDB counts records, not lines (and stops counting fields at one too many): callers ask
    `record_problems` first; this is what is said when it found nothing.
    """
    message = str(exc)
    line = _CSV_ERROR_LINE.search(message)
    number = int(line["line"]) if line else None
    if number is not None and layout is not None and number >= 2:
        number = layout.line_of(number - 2)
    where = f"{source}: line {number}" if number is not None else source
    original = _CSV_ORIGINAL.search(message)
    shown = f": {original['text'].strip()[:120]!r}" if original else ""
    if columns := _CSV_COLUMNS.search(message):
        return f"{where} has {columns['got']} fields where the header has {columns['want']}{shown}"
    if "not utf-8 encoded" in message or "Invalid unicode" in message:
        return f"{where} is not UTF-8 text; save the file as UTF-8"
    first = message.splitlines()[0] if message else type(exc).__name__
    return f"{where}: cannot be read as CSV ({first})"


def csv_layout(source: Source) -> CsvLayout | None:
    """Every byte of a CSV source checked (once per file version), and what DuckDB reads."""
    return prepare_csv(source.path, source.delimiter or ",") if source.kind == "csv" else None


def layout_of(source: Source) -> CsvLayout | None:
    """csv_layout, with every record's field count checked when the quick pass cannot vouch for it."""
    layout = csv_layout(source)
    if layout is not None and layout.ends_with_delimiter and id(layout) not in _counted:
        # DuckDB takes 'a,b,c,' for three fields: count them exactly
        refuse_bad_records(source)
        _counted.add(id(layout))
    return layout


_counted: set[int] = set()  # ids of (cached, lasting) layouts whose records all have the header's count


def refuse_bad_records(source: Source) -> None:
    """Raise with the first records whose field count differs from the header's, if any."""
    problems = record_problems(source.path, source.delimiter or ",")
    if not problems:
        return
    name = shown(source.path)
    lines = [problems[0].describe(name)]
    lines += [f"  also {p.describe(name).removeprefix(name + ': ')}" for p in problems[1:]]
    if any(p.fields == p.expected + 1 and p.text.endswith(source.delimiter or ",") for p in problems):
        lines.append("hint: a row ending in an extra delimiter ('...,39,') has one field too many")
    raise InputFileError("\n".join(lines))


def relined(table: pa.Table, layout: CsvLayout | None) -> pa.Table:
    """source_line as an editor shows it: DuckDB numbers records (a blank line or a line break
    inside quotes makes them differ)."""
    if layout is None or layout.record_lines is None or table.num_rows == 0:
        return table
    records = pc.subtract(table.column("source_line"), 2)
    mapping = layout.record_lines
    if pc.max(records).as_py() >= len(mapping):  # the quick count disagreed with DuckDB: count exactly
        mapping = record_lines_by_reading(layout.read_path, layout.delimiter)
    lines = pc.take(pa.array(mapping), records)
    return table.set_column(table.schema.get_field_index("source_line"), "source_line", lines)


def open_source(con: duckdb.DuckDBPyConnection, source: Source) -> None:
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
    con.execute("SET VARIABLE source_path = ?", [str(layout_of(source).read_path)])
    con.execute("SET VARIABLE reader_columns = ?", [source.reader_columns])
    con.execute("SET VARIABLE delimiter = ?", [source.delimiter])
    con.execute(sql("parse/source_csv"))


def read_numbers(con: duckdb.DuckDBPyConnection, source: Source) -> pa.Table | None:
    """The fast path for a CSV: numbers typed by the reader. None when some value is not a number."""
    con.execute(sql("parse/parse_macros"))
    numeric = {name: "DOUBLE" if name in CUSTOMER_NUMERIC else kind for name, kind in source.reader_columns.items()}
    con.execute("SET VARIABLE source_path = ?", [str(layout_of(source).read_path)])
    con.execute("SET VARIABLE numeric_columns = ?", [numeric])
    con.execute("SET VARIABLE delimiter = ?", [source.delimiter])
    con.execute(sql("parse/source_csv_numbers"))
    try:
        return con.execute(sql("parse/typed_from_numbers")).to_arrow_table()
    except duckdb.Error:  # a value that is not a number, or a broken file: the text path says which
        return None


def _read(con: duckdb.DuckDBPyConnection, statement: str, source: Source) -> pa.Table:
    try:
        return relined(con.execute(sql(f"parse/{statement}")).to_arrow_table(), layout_of(source))
    except duckdb.Error as exc:  # whatever the bytes: a message with the file, never a traceback
        if source.kind != "csv":
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputFileError(f"{shown(source.path)}: cannot be read ({first})") from None
        refuse_bad_records(source)  # the exact line and field count, when that is the problem
        raise InputFileError(describe_csv_error(exc, source=shown(source.path), layout=layout_of(source))) from None


def read_typed(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[pa.Table, int]:
    """The typed rows (see typed_customers.sql) and how many rows hold unparsable numbers."""
    layout = layout_of(source)
    # DuckDB's reader takes '1_000' for 1000: a file with an '_' in its data takes the text path.
    fast = layout is not None and not layout.underscores
    typed = read_numbers(con, source) if fast else None
    if typed is None:
        open_source(con, source)
        typed = _read(con, "typed_customers", source)
    else:
        typed = relined(typed, layout)
    if typed.num_rows == 0:
        raise InputFileError(f"{shown(source.path)}: the header is there but there are no data rows")
    unparsed = typed.column("unparsed")
    return typed.drop_columns("unparsed"), pc.sum(unparsed).as_py() or 0


def parse_failures(source: Source) -> pd.DataFrame:
    """Every value that is not a (whole) number, with its line: the validation report's first part."""
    with scratch() as con:
        open_source(con, source)
        failures = relined(con.execute(sql("parse/parse_failures")).to_arrow_table(), layout_of(source))
    return failures.to_pandas()


def raw_rows(source: Source) -> pa.Table:
    """The source's contract columns as written (text), for raw_customers."""
    with scratch() as con:
        open_source(con, source)
        return _read(con, "raw_text_rows", source)


def keep_raw_rows(settings: Settings, run_id: str, source: Source) -> int:
    """Store the source rows of a run in raw_customers; return how many."""
    rows = raw_rows(source)
    with Warehouse.of(settings).transaction() as con:
        con.register("raw_df", rows)
        con.execute(sql("writes/insert_raw_customers"), [run_id])
        con.unregister("raw_df")
    return rows.num_rows


def read_source(source: Source) -> Ingested:
    """Read and type an inspected source (see typed_customers.sql)."""
    with scratch() as con:
        table, unparsed = read_typed(con, source)
    return Ingested(source, sha256_file(source.path), table, unparsed)


@task(cache_policy=NO_CACHE)
def ingest(settings: Settings, run_id: str, source_path: str) -> Ingested:
    """Read and type the source file."""
    logger = get_run_logger()
    source = inspect_source(source_path, columns=settings.columns, delimiter=settings.delimiter)
    if source.extra_columns:
        logger.info("ignoring columns outside the contract: %s", list(source.extra_columns))
    ingested = read_source(source)
    if settings.raw_retention == "all":
        keep_raw_rows(settings, run_id, source)
    how = f"{source.kind}, delimiter {source.delimiter!r}" if source.kind == "csv" else source.kind
    logger.info("ingested %d rows from %s (%s)", ingested.n_rows, source.path, how)
    return ingested
