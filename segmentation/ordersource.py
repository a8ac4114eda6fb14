"""Where an order history comes from: one file, a folder or glob of files, or a PostgreSQL table or query.

    --orders exports/orders.csv                    one CSV or Parquet file (may contain '{period}')
    --orders exports/                              every order file in the folder and below it
    --orders 'exports/*.csv'                       the files a glob matches ('**' descends into folders)
    --orders 'postgresql://reader@db:5432/shop?table=public.orders'   (or --orders-query "SELECT ...")

A folder or glob is one order history with one header contract: its files (in name order) are all
CSV or all Parquet; every CSV has the first file's header, field for field, and its delimiter; every
Parquet file the first one's columns. A file that differs is named, with its line. A folder reads the
files named *.csv, *.tsv, *.txt, *.parquet or *.pq, at any depth (hive partitions such as
orders/year=2026/month=05/part-0.parquet), and leaves out hidden files and folders and those whose
name starts with '_' (Spark's _SUCCESS, _committed_...). Partition values in folder names are not
read: an order's date is its order_date column.

No Prefect and no DuckDB: the command line checks a source with this before anything runs.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from segmentation.csvfile import shown
from segmentation.errors import InputFileError
from segmentation.postgres import InspectedOrders, inspect_postgres, is_postgres_url, parse_orders_url
from segmentation.source import DELIMITERS, Source, inspect_orders

if TYPE_CHECKING:
    import pyarrow as pa

ORDER_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
GLOB_CHARACTERS = ("*", "?", "[")
SOURCE_FILE_LIMIT = 100_000  # files in one folder or glob: more is a mistake (the wrong folder), not a history


@dataclass(frozen=True)
class OrderFiles:
    """A folder or glob of order files, inspected: one header contract for all of them."""

    given: str  # the folder or glob, as given
    files: tuple[Source, ...]  # each file inspected, in name order; the first sets the contract

    @property
    def first(self) -> Source:
        return self.files[0]

    @property
    def path(self) -> Path:
        """What messages name: the folder or glob as given."""
        return Path(self.given)

    @property
    def kind(self) -> Literal["csv", "parquet"]:
        return self.first.kind

    @property
    def delimiter(self) -> str | None:
        return self.first.delimiter

    @property
    def header(self) -> tuple[str, ...]:
        return self.first.header

    @property
    def columns(self) -> dict[str, str]:
        return self.first.columns

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.first.extra_columns

    @property
    def row_word(self) -> str:
        return self.first.row_word

    def name_of(self, source: Source) -> str:
        """A file as messages and validation_failures name it: its path relative to the folder (or the
        glob's fixed part), else as shown."""
        base = Path(self.given if Path(self.given).is_dir() else _fixed_part(self.given)).resolve()
        try:
            return shown(source.path.relative_to(base))
        except ValueError:
            return shown(source.path)


OrderSource = Source | OrderFiles | InspectedOrders


def is_file_set(text: str) -> bool:
    """Whether `--orders` names several files: a folder, or a glob that is not itself a file's name."""
    path = Path(text)
    if path.is_dir():
        return True
    return not path.exists() and any(c in text for c in GLOB_CHARACTERS)


def inspect_order_source(
    text: str, *, columns: Mapping[str, str] | None, delimiter: str | None, query: str | None = None
) -> OrderSource:
    """Check an order source and map its columns onto the contract; no order line is read (a server
    is contacted for its catalog).

    Raises:
        InputFileError: a file or folder that cannot be read or whose header does not map; a file of a
            folder that differs from the first (PostgresSourceError, a subclass: the server's errors).
    """
    if is_postgres_url(text):
        return inspect_postgres(parse_orders_url(text, query=query), columns=columns)
    if query is not None:
        raise InputFileError(
            f"--orders-query reads a PostgreSQL query, but --orders {text} is a file\n"
            "hint: give the server as --orders postgresql://user@host:5432/database, or drop --orders-query"
        )
    if is_file_set(text):
        return inspect_order_files(text, columns=columns, delimiter=delimiter)
    return inspect_orders(text, columns=columns, delimiter=delimiter)


def order_files(text: str) -> list[Path]:
    """The files a folder or glob names, in name order.

    Raises:
        InputFileError: none, more than SOURCE_FILE_LIMIT, or CSV and Parquet mixed.
    """
    if Path(text).is_dir():
        found = [p for p in _walk(Path(text)) if p.suffix.lower() in ORDER_SUFFIXES]
        what = f"{shown(Path(text))}: a folder with no order file (*.csv, *.tsv, *.txt, *.parquet, *.pq) in it"
    else:
        found = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]  # exactly what it matches
        what = f"{text}: the pattern matches no file"
    if not found:
        raise InputFileError(f"{what}\nhint: check the path; a glob is quoted so the shell leaves it alone")
    if len(found) > SOURCE_FILE_LIMIT:
        raise InputFileError(f"{text}: names {len(found):,} files (at most {SOURCE_FILE_LIMIT:,}); name fewer")
    found = sorted(found, key=lambda p: str(p))
    parquet = [p for p in found if p.suffix.lower() in (".parquet", ".pq")]
    if parquet and len(parquet) < len(found):
        other = next(p for p in found if p not in parquet)
        raise InputFileError(
            f"{text}: holds CSV and Parquet files ({shown(other)}, {shown(parquet[0])}); one order history is "
            "one format\nhint: name the files of one format, e.g. --orders 'exports/*.csv'"
        )
    return found


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in files:
            if not name.startswith((".", "_")):
                yield Path(root) / name


def _fixed_part(pattern: str) -> Path:
    """The folders of a glob before its first wildcard ('exports/2026/*.csv' -> 'exports/2026')."""
    fixed: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if any(c in part for c in GLOB_CHARACTERS):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def inspect_order_files(text: str, *, columns: Mapping[str, str] | None, delimiter: str | None) -> OrderFiles:
    """Inspect every file of a folder or glob (its header only) and hold them to the first one's contract.

    Raises:
        InputFileError: as `order_files`; a file that cannot be read or whose header or delimiter
            differs from the first file's (named, with the first file).
    """
    paths = order_files(text)
    first = inspect_orders(paths[0], columns=columns, delimiter=delimiter)
    sources = [first]
    # The first file's delimiter for the rest: a file written another way fails its header check below.
    for path in paths[1:]:
        try:
            source = inspect_orders(path, columns=columns, delimiter=delimiter or first.delimiter)
        except InputFileError as exc:
            if first.kind == "csv" and delimiter is None:
                raise _differs(text, path, first, str(exc)) from None
            raise
        if _contract_of(source) != _contract_of(first):
            raise _differs(text, path, first, None, source)
        sources.append(source)
    return OrderFiles(text, tuple(sources))


def _contract_of(source: Source) -> tuple[object, ...]:
    if source.kind == "parquet":
        return ("parquet", frozenset(source.header))
    return ("csv", source.delimiter, source.header)


def _differs(text: str, path: Path, first: Source, reason: str | None, source: Source | None = None) -> InputFileError:
    """The error of a file of a folder or glob that does not follow the first file's header contract."""
    from segmentation.csvfile import read_first_record

    where = f"{shown(path)}: line 1" if first.kind == "csv" else shown(path)
    if first.kind == "csv":
        try:
            header, used = read_first_record(path, None)
        except InputFileError as exc:
            return InputFileError(f"{exc}\nhint: every file of {text} is read with one header contract")
        if used != first.delimiter:
            return InputFileError(
                f"{where}: is {DELIMITERS[used]}-separated where {shown(first.path)} is "
                f"{DELIMITERS[first.delimiter or ',']}-separated\n"
                f"hint: every file of {text} must be written the same way; re-export {shown(path)}"
            )
        got = [h.strip() for h in header]
    else:
        got = list(source.header) if source is not None else []
    detail = f" ({reason.splitlines()[0]})" if reason and source is None and not got else ""
    return InputFileError(
        f"{where}: its header {got} differs from {shown(first.path)}'s {list(first.header)}{detail}\n"
        f"hint: every file of {text} must have the same columns (the first file, in name order, sets them)"
    )


def parquet_text_batches(
    sources: tuple[Source, ...], columns: Mapping[str, str], *, batch_rows: int = 262_144
) -> pa.RecordBatchReader:
    """The Parquet files' contract columns as text, streamed: one batch at a time, never a whole file.

    Each batch carries `source_line` (the row's number in its file, from 1) and `source_file` (the
    file's index in `sources`). Text as `as_text` writes it.

    Raises:
        InputFileError: (while read) a file that cannot be read, or a column with no text form.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(columns)
    schema = pa.schema(
        [*(pa.field(n, pa.string()) for n in names), pa.field("source_line", pa.int64()), ("source_file", pa.int32())]
    )

    def batches() -> Iterator[pa.RecordBatch]:
        for index, source in enumerate(sources):
            start = 1
            try:
                with source.path.open("rb") as handle:  # a handle: Arrow cannot open a name that is not UTF-8
                    parquet = pq.ParquetFile(handle)
                    wanted = [columns[n] for n in names]
                    for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted):
                        texts = [_as_text(batch.column(columns[n]), source, n) for n in names]
                        lines = pa.array(range(start, start + batch.num_rows), pa.int64())
                        files = pa.array([index] * batch.num_rows, pa.int32())
                        start += batch.num_rows
                        yield pa.RecordBatch.from_arrays([*texts, lines, files], schema=schema)
            except InputFileError:
                raise
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise InputFileError(f"{shown(source.path)}: cannot be read as Parquet ({exc})") from None

    return pa.RecordBatchReader.from_batches(schema, batches())


def as_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A Parquet column as the text the contract reads: a timestamp with a time zone as its local
    time in that zone (the written local day, as a CSV's offset does not move its date); any other
    value as pyarrow writes it ('2026-06-30', '2026-06-30 23:30:00', '12.5', '1e-07').

    Raises:
        pyarrow.ArrowException: the column has no text form (a list, a struct, bytes that are not UTF-8).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.local_timestamp(column)
    return column.cast(pa.string())


def _as_text(column: pa.Array, source: Source, name: str) -> pa.Array:
    import pyarrow as pa

    try:
        return as_text(column)
    except pa.ArrowException as exc:
        header = source.columns.get(name, name)
        raise InputFileError(
            f"{shown(source.path)}: column {header!r} ({column.type}) is not text, a number or a date "
            f"({str(exc).splitlines()[0]})"
        ) from None
