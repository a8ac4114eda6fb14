"""Ingest: DuckDB's own CSV reader loads the source into raw_customers, as text, per run.

Columns are matched by header name, never by position. Columns outside the contract are
ignored and recorded on the run. Values stay text here so that validation can report every
bad value with its line instead of the reader stopping at the first.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.input import CANONICAL_HEADERS, SOURCE_HEADERS
from tasks.errors import InputFileError
from tasks.files import sha256_file
from tasks.settings import Settings
from warehouse import connect, sql, transaction

_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (?P<line>\d+)")
_CSV_ORIGINAL = re.compile(r"Original Line: (?P<text>.*)")
_CSV_COLUMNS = re.compile(r"Expected Number of Columns: (?P<want>\d+) Found: (?P<got>\d+)")


@dataclass(frozen=True)
class Header:
    """The source's header mapped onto the contract."""

    reader_columns: dict[str, str]  # reader column name -> DuckDB type, in file order
    extra_columns: tuple[str, ...]


@dataclass(frozen=True)
class IngestResult:
    source_sha256: str
    n_rows: int
    extra_columns: tuple[str, ...]


def map_header(names: list[str], *, source: str) -> Header:
    """Map the source's header names onto canonical columns.

    Args:
        names: header fields in file order.
        source: the file, for messages.

    Returns:
        The column names to read the file with (canonical for contract columns, `extra_<i>`
        otherwise) and the names of the extra columns.

    Raises:
        InputFileError: a required column is missing or given twice.
    """
    reader_columns: dict[str, str] = {}
    extra: list[str] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(names):
        name = raw.strip()
        canonical = SOURCE_HEADERS.get(name)
        if canonical is None:
            extra.append(name)
            reader_columns[f"extra_{position}"] = "VARCHAR"
            continue
        if canonical in seen:
            raise InputFileError(f"{source}: columns {seen[canonical]!r} and {name!r} both give {canonical}; keep one")
        seen[canonical] = name
        reader_columns[canonical] = "VARCHAR"
    missing = [CANONICAL_HEADERS[c] for c in CANONICAL_HEADERS if c not in seen]
    if missing:
        raise InputFileError(f"{source}: missing required column(s) {missing}; the header has {names}")
    return Header(reader_columns, tuple(extra))


def read_header(path: Path) -> list[str]:
    """Read the first line of a CSV as UTF-8 (a BOM is allowed)."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise InputFileError(f"{path}: the file is empty; expected a header line and data rows")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: line 1 is not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return next(csv.reader([text]))


def describe_csv_error(exc: duckdb.Error, *, source: str) -> str:
    """Turn DuckDB's CSV reader error into one line naming the file, line and problem."""
    message = str(exc)
    line = _CSV_ERROR_LINE.search(message)
    where = f"{source}: line {line['line']}" if line else source
    original = _CSV_ORIGINAL.search(message)
    shown = f": {original['text'].strip()[:120]!r}" if original else ""
    if columns := _CSV_COLUMNS.search(message):
        return f"{where} has {columns['got']} fields where the header has {columns['want']}{shown}"
    if "not utf-8 encoded" in message or "Invalid unicode" in message:
        return f"{where} is not UTF-8 text; save the file as UTF-8"
    first = message.splitlines()[0] if message else type(exc).__name__
    return f"{where}: cannot be read as CSV ({first})"


def load_raw(con: duckdb.DuckDBPyConnection, *, run_id: str, path: Path, header: Header) -> int:
    """Insert the file's rows into raw_customers in one transaction; return how many."""
    try:
        with transaction(con):
            con.execute(sql("ingest_raw"), [run_id, str(path), header.reader_columns])
            return con.execute(sql("count_raw"), [run_id]).fetchone()[0]
    except duckdb.InvalidInputException as exc:
        raise InputFileError(describe_csv_error(exc, source=str(path))) from None


@task(cache_policy=NO_CACHE)
def ingest(settings: Settings, run_id: str, source: str) -> IngestResult:
    """Load the source CSV into raw_customers for this run."""
    logger = get_run_logger()
    path = Path(source)
    header = map_header(read_header(path), source=source)
    if header.extra_columns:
        logger.info("ignoring columns outside the contract: %s", list(header.extra_columns))
    with connect(
        settings.db_path,
        lock_timeout_s=settings.lock_timeout_s,
        storage_version=settings.storage_version,
    ) as con:
        n_rows = load_raw(con, run_id=run_id, path=path, header=header)
    if n_rows == 0:
        raise InputFileError(f"{source}: the header is there but there are no data rows")
    logger.info("ingested %d rows from %s", n_rows, source)
    return IngestResult(sha256_file(path), n_rows, header.extra_columns)
