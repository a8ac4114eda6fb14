"""Orders: a retailer's order history in, one row of behavioural features per customer out, as of
a period's end.

A CSV's bytes and rows follow a customer table's rules (segmentation/csvfile.py: UTF-8 in every
byte, every row with the header's fields, ...). DuckDB then reads the file once, types every line
and rolls the lines up into orders kept in a DuckDB file of their own (order_parts.sql,
orders.sql): an order is its order_id, or without one, a customer's lines of one day; its amount
is the net of its lines, so returns (negative amounts) are netted, not refused. Any line that
breaks the contract fails the run, with every failing value listed by line (order_failures.sql);
the pass and the report type lines with one definition (order_lines in order_macros.sql: amounts
at most 1e15 and zero or at least a millionth in size, dates from 1900 to 2199). Each period's
features are then computed from that file (customer_features.sql), so a backfill reads the export
once: only orders up to the period's end exist for its run, so a backfill of 2025Q2 run today
gives what a run on 2025-07-01 would have given. A customer is in the period when they ordered in
the lookback window ((end - lookback months, end]); customers whose last order is older are out
of it (counted in the run's facts as lapsed beyond the window).

Dates are read as real exports write them: ISO dates and timestamps, YYYYMMDD, day- or
month-first with / . or - (detected from the values; when every value fits both, say which
with --date-format). An order counts on its written local day: a CSV's offset does not move
it, a Parquet timestamp with a time zone counts on its day in that zone.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.csvfile import CsvLayout, checked_csv, describe_csv_error, refuse_bad_records, relined, shown
from segmentation.errors import DataError, InputFileError, ValidationFailed
from segmentation.failures import FAILURE_COLUMNS, GUEST_HINT, STORED_PER_CHECK, failure_report, has_guest_lines
from segmentation.files import sha256_file
from segmentation.ordersource import (
    OrderFiles,
    OrderSource,
    inspect_order_source,
    is_file_set,
    order_files,
    parquet_text_batches,
)
from segmentation.periods import Period
from segmentation.postgres import InspectedOrders, is_postgres_url, open_order_reader
from segmentation.results import OrderHistory, PeriodFacts
from segmentation.settings import Settings
from segmentation.source import ATTRIBUTES, Source, inspect_source
from warehouse import open_order_store, open_scratch, scratch, sql

T = TypeVar("T")
DATE_SAMPLE = 50_000
ORDERS_MEMORY_LIMIT = "1.5GB"  # DuckDB's share of a run's memory while it groups order lines
STORE = "orders.duckdb"  # the file an order history is kept in, in a temporary folder of its own
_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p")
# Candidate date forms, in the order ties are broken; "iso" is DuckDB's own ISO-8601 cast.
DATE_FORMS: dict[str, tuple[str, ...]] = {
    "iso": (),
    "%Y%m%d": ("%Y%m%d",),
    "%Y/%m/%d": tuple(f"%Y/%m/%d{t}" for t in _TIMES),
    "%d/%m/%Y": tuple(f"%d/%m/%Y{t}" for t in _TIMES),
    "%m/%d/%Y": tuple(f"%m/%d/%Y{t}" for t in _TIMES),
    "%d.%m.%Y": tuple(f"%d.%m.%Y{t}" for t in _TIMES),
    "%d-%m-%Y": tuple(f"%d-%m-%Y{t}" for t in _TIMES),
    "%m-%d-%Y": tuple(f"%m-%d-%Y{t}" for t in _TIMES),
}
_AMBIGUOUS = ({"%d/%m/%Y", "%m/%d/%Y"}, {"%d-%m-%Y", "%m-%d-%Y"})
_WIDTHS = {"%Y": 4, "%y": 2, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


def lookback_start(period_end: date, months: int) -> date:
    """The day before the lookback window opens: the period's end minus `months` (clamped to month ends)."""
    month_index = period_end.year * 12 + period_end.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    day = last if period_end.day == calendar.monthrange(period_end.year, period_end.month)[1] else period_end.day
    return date(year, month + 1, min(day, last))


def date_width(form: str) -> int:
    """The exact length of a date form without separators ('%Y%m%d': 8), 0 for any other form.

    strptime reads '2026062' with '%Y%m%d' as 2026-06-02 (a month or day may have one digit): such
    a form is read at its exact width only, and without a time.
    """
    if not re.fullmatch(r"(?:%[YymdHMS])+", form):
        return 0
    return sum(_WIDTHS[form[i : i + 2]] for i in range(0, len(form), 2))


def choose_date_format(values: list[str], given: str | None, *, source: str) -> tuple[str, tuple[str, ...]]:
    """The date form that reads the most of `values` (a sample of the column), and its strptime patterns.

    Args:
        values: distinct order dates as written.
        given: a strptime format from --date-format, used as given (with optional times).
        source: the file, for messages.

    Returns:
        ('iso', ()) or (form, patterns).

    Raises:
        InputFileError: day-first and month-first both read every value; nothing reads any value.
    """
    if given:
        return given, (given,) if date_width(given) else tuple(f"{given}{t}" for t in _TIMES)
    with scratch() as con:
        con.register("dates", pa.table({"d": pa.array(values, pa.string())}))
        counts = {}
        for form, patterns in DATE_FORMS.items():
            expr = "TRY_CAST(d AS TIMESTAMP)" if form == "iso" else "try_strptime(d, ?)"
            params = [] if form == "iso" else [list(patterns)]
            counts[form] = con.execute(f"SELECT count({expr}) FROM dates", params).fetchone()[0]  # noqa: S608
    best = max(counts.values())
    if best == 0:
        shown = ", ".join(repr(v) for v in values[:3])
        raise InputFileError(
            f"{source}: order_date values such as {shown} are not dates in a known form\n"
            "hint: give the form with --date-format, e.g. --date-format '%d %b %Y'"
        )
    winners = {form for form, n in counts.items() if n == best}
    for pair in _AMBIGUOUS:
        if pair <= winners:
            first, second = sorted(pair)
            raise InputFileError(
                f"{source}: every order_date (e.g. {values[0]!r}) reads both day-first and month-first\n"
                f"hint: say which with --date-format '{first}' or --date-format '{second}'"
            )
    form = next(f for f in DATE_FORMS if f in winners)
    return form, DATE_FORMS[form]


def open_text(
    con: duckdb.DuckDBPyConnection, source: Source, kind: Literal["order", "attribute"], read_path: Path | None = None
) -> None:
    """Define the temporary view `<kind>_text` over one file: its contract columns as text, with
    their line (warehouse/sql/orders/<kind>_text_csv.sql, or _arrow.sql over a Parquet file's rows).
    `read_path`: what DuckDB reads instead of the file itself (a copy with LF line endings)."""
    if source.kind == "parquet":
        con.register(f"{kind}_arrow", parquet_text_batches((source,), source.columns))
        con.execute(sql(f"orders/{kind}_text_arrow"))
        return
    _csv_views(con, source, [str(read_path or source.path)], kind)


def _csv_views(con: duckdb.DuckDBPyConnection, source: Source, paths: list[str], kind: str) -> None:
    """`<kind>_text` and (orders) `order_values` over CSV files that share `source`'s header and delimiter."""
    con.execute("SET VARIABLE source_path = ?", [paths[0] if len(paths) == 1 else paths])
    con.execute("SET VARIABLE reader_columns = ?", [source.reader_columns])
    con.execute("SET VARIABLE delimiter = ?", [source.delimiter])
    con.execute(sql("parse/csv_macros"))  # after the variables: DuckDB binds read_csv's arguments when it is made
    con.execute(sql(f"orders/{kind}_text_csv"))


def files_of(source: Source | OrderFiles) -> tuple[Source, ...]:
    """The files an order source is read from (one, or a folder's)."""
    return source.files if isinstance(source, OrderFiles) else (source,)


@contextmanager
def order_views(
    con: duckdb.DuckDBPyConnection,
    source: OrderSource,
    layouts: list[CsvLayout | None],
    *,
    end: date | None,
    numbered: bool,
    file: int | None = None,
) -> Iterator[None]:
    """Define `order_text` and `order_values` over the source (or file `file` of a folder) for one
    statement: a stream (PostgreSQL's rows, Parquet's batches) can be read once, so each statement
    gets its own. `numbered`: rows carry what names them (a file's line, a table's key), for a report.
    `end`: PostgreSQL reads only the orders up to it (the filter runs on the server)."""
    if isinstance(source, InspectedOrders):
        with open_order_reader(source, end=end, with_key=numbered) as reader, _arrow_views(con, reader):
            yield
        return
    files = files_of(source)
    chosen = range(len(files)) if file is None else (file,)
    if files[0].kind == "parquet":
        with _arrow_views(con, parquet_text_batches(tuple(files[i] for i in chosen), files[0].columns)):
            yield
        return
    paths = [str(_read_path(files[i], layouts[i])) for i in chosen]
    _csv_views(con, files[0], paths, "order")
    yield


@contextmanager
def _arrow_views(con: duckdb.DuckDBPyConnection, rows: pa.RecordBatchReader) -> Iterator[None]:
    """`order_text` and `order_values` over a stream of rows as text (orders/order_text_arrow.sql)."""
    con.register("order_arrow", rows)
    con.execute(sql("orders/order_text_arrow"))
    try:
        yield
    finally:
        con.unregister("order_arrow")


def _read_path(source: Source, layout: CsvLayout | None) -> Path:
    return layout.read_path if layout is not None and layout.copied else source.path


def read_text_file(source: Source, read: Callable[[CsvLayout | None], T]) -> T:
    """`read(layout)` reads the file with the customer table's byte and row rules (README).

    A CSV's every byte is checked first, as a customer table's is (segmentation/csvfile.py, one
    pass in C-speed searches): a byte that is not UTF-8 text, in any column, is named by line; a
    row ending in one delimiter too many has its fields counted exactly; CR or mixed line endings
    are read from a copy with LF endings (`layout.read_path`, same lines; removed once read).
    When DuckDB's reader still refuses the file, records with the wrong number of fields are
    listed; anything else is said with DuckDB's own words and the line. A Parquet file: `read(None)`.
    """
    return read_text_files((source,), lambda layouts: read(layouts[0]))


def read_text_files(sources: tuple[Source, ...], read: Callable[[list[CsvLayout | None]], T]) -> T:
    """`read_text_file` for the files of one source (a folder's): each file's bytes checked, named by
    its own lines."""
    if sources[0].kind != "csv":
        try:
            return read([None] * len(sources))
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            raise InputFileError(f"{shown(sources[0].path)}: cannot be read ({str(exc).splitlines()[0]})") from None
    layouts: list[CsvLayout | None] = []
    try:
        for source in sources:
            layouts.append(checked_csv(source.path, source.delimiter or ","))
        try:
            return read(layouts)
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            for source in sources:
                refuse_bad_records(source.path, source.delimiter or ",")
            named = [i for i, s in enumerate(sources) if str(_read_path(s, layouts[i])) in str(exc)] or [0]
            layout, source = layouts[named[0]], sources[named[0]]
            raise InputFileError(describe_csv_error(exc, source=shown(source.path), layout=layout)) from None
    finally:
        for layout in layouts:
            if layout is not None:
                layout.release()


def _set_date_form(con: duckdb.DuckDBPyConnection, form: str, patterns: tuple[str, ...]) -> None:
    con.execute("SET VARIABLE date_iso = ?", [form == "iso"])
    con.execute("SET VARIABLE date_formats = ?", [list(patterns) or ["%Y-%m-%d"]])
    con.execute("SET VARIABLE date_width = ?", [date_width(form)])
    con.execute("SET VARIABLE date_label = ?", ["ISO date" if form == "iso" else form])


def order_failures(con: duckdb.DuckDBPyConnection, layout: CsvLayout | None) -> pd.DataFrame:
    """FAILURE_COLUMNS rows (at most STORED_PER_CHECK per check) plus source_key, n_failing per check
    and n_lines, with each line as an editor shows it (a blank line or a quoted line break counts)."""
    failures = con.execute(sql("orders/order_failures"), [STORED_PER_CHECK]).to_arrow_table()
    return relined(failures, layout).to_pandas()


def order_report(failures: pd.DataFrame, *, source: Source | InspectedOrders) -> str:
    """The validation report of an order file or table (segmentation/failures.py): the failing lines
    counted exactly, and never empty."""
    if failures.empty:  # a bug in the reader, never an empty report
        failures = unnamed_failures(0)
    lines = int(failures["n_lines"].iloc[0]) if "n_lines" in failures else None
    if isinstance(source, InspectedOrders):
        named = {"source": source_name(source), "headers": source.columns, "word": source.row_word, "unit": "order row"}
    else:
        named = {"source": source, "unit": "order line"}
    report = failure_report(failures, contract="order contract", failing_rows=lines, **named)
    return f"{report}\n{GUEST_HINT}" if has_guest_lines(failures) else report


def unnamed_failures(bad_lines: int) -> pd.DataFrame:
    """The failure a file gets when its lines break the contract but the report named none (a bug in
    the reader, never an empty report): FAILURE_COLUMNS plus n_failing and n_lines."""
    return pd.DataFrame(
        {
            "column_name": [None],
            "check_name": ["meets the order contract (no value could be named: please report this file)"],
            "failure_case": [f"{bad_lines} line(s)"],
            "source_line": pd.array([None], dtype="Int64"),
            "n_failing": [bad_lines],
            "n_lines": [bad_lines],
        }
    )


def source_name(source: OrderSource) -> str:
    """The order source as messages, logs and the run record name it (a URL's password masked)."""
    if isinstance(source, InspectedOrders):
        return f"{source.source.masked} ({source.source.what})"
    return shown(source.path)


def read_orders(
    source: OrderSource, *, date_format: str | None, skip_anonymous: bool = False, end: date | None = None
) -> OrderHistory:
    """Read, type and check an inspected order source in one pass, and keep its orders for every
    period that reads them (a DuckDB file in a temporary folder: `OrderHistory.remove` deletes it).

    Lines without a customer ID (guest orders) break the contract, unless `skip_anonymous`: then
    they are left out and counted. `end`: PostgreSQL sends only the orders up to this day (None:
    every row); a file is read whole.

    Raises:
        InputFileError: the source cannot be read, has no lines, or no date form fits
            (PostgresSourceError: the server's errors).
        ValidationFailed: lines break the contract (every failing value, by line, file or key).
    """
    folder = Path(tempfile.mkdtemp(prefix="segment-orders-"))
    store = folder / STORE
    try:
        if isinstance(source, InspectedOrders):
            return _read_orders(source, [], date_format, skip_anonymous, store, end)
        return read_text_files(
            files_of(source), lambda layouts: _read_orders(source, layouts, date_format, skip_anonymous, store, None)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _read_orders(
    source: OrderSource,
    layouts: list[CsvLayout | None],
    date_format: str | None,
    skip_anonymous: bool,
    store: Path,
    end: date | None,
) -> OrderHistory:
    store.unlink(missing_ok=True)  # a first try that DuckDB refused (read again from an LF copy)
    name = source_name(source)
    # Tens of millions of orders are grouped here, so it may use more memory than the run's other
    # DuckDB instances (it is closed before anything else runs).
    with closing(open_scratch(memory_limit=ORDERS_MEMORY_LIMIT, path=store)) as con:
        con.execute(sql("orders/order_macros"))
        form, patterns = _date_form(con, source, layouts, date_format, end=end, name=name)
        _set_date_form(con, form, patterns)
        amount_from_price = "amount" not in source.columns
        con.execute("SET VARIABLE amount_from_price = ?", [amount_from_price])  # for order_failures.sql
        con.execute("SET VARIABLE skip_anonymous = ?", [skip_anonymous])
        parameters = [form == "iso", list(patterns) or ["%Y-%m-%d"], date_width(form), amount_from_price]
        with order_views(con, source, layouts, end=end, numbered=False):
            con.execute(sql("orders/order_parts"), [*parameters, skip_anonymous])
        lines, bad, anonymous = con.execute(sql("orders/order_part_counts")).fetchone()
        if not lines:
            raise InputFileError(_no_lines(name, end))
        if not bad:
            con.execute(sql("orders/orders"))
        if bad or con.execute(sql("orders/order_bad_ids")).fetchone()[0]:
            raise _contract_failure(con, source, layouts, int(bad), end=end)
    return OrderHistory(
        source=source,
        name=name,
        source_sha256=_sha256_of(source),
        n_rows=int(lines),
        date_format=form,
        anonymous_lines=int(anonymous),
        store=store,
        read_until=end if isinstance(source, InspectedOrders) and source.pushed_down else None,
    )


def _date_form(
    con: duckdb.DuckDBPyConnection,
    source: OrderSource,
    layouts: list[CsvLayout | None],
    date_format: str | None,
    *,
    end: date | None,
    name: str,
) -> tuple[str, tuple[str, ...]]:
    """The date form: typed dates from PostgreSQL are ISO as DuckDB writes them; text is detected
    from a sample (or read with --date-format).

    Raises:
        InputFileError: there are no order lines, or no form fits the sample.
    """
    if isinstance(source, InspectedOrders) and source.date_kind != "text":
        return "iso", ()
    with order_views(con, source, layouts, end=end, numbered=False):
        values = [row[0] for row in con.execute(sql("orders/order_date_sample"), [DATE_SAMPLE]).fetchall()]
    if not values:
        with order_views(con, source, layouts, end=end, numbered=False):
            total = con.execute("SELECT count(*) FROM order_values").fetchone()[0]
        if total == 0:
            raise InputFileError(_no_lines(name, end))
    return choose_date_format(values or ["2000-01-01"], date_format, source=name)


def _no_lines(name: str, end: date | None) -> str:
    if end is not None:
        return f"{name}: has no order rows up to {end}"
    return f"{name}: the header is there but there are no order lines"


def _contract_failure(
    con: duckdb.DuckDBPyConnection, source: OrderSource, layouts: list[CsvLayout | None], bad: int, *, end: date | None
) -> ValidationFailed:
    """The error of a source whose lines break the contract: every failing value by line (of its own
    file, in a folder) or by the table's key, read again numbered (a failed read only)."""
    files = () if isinstance(source, InspectedOrders) else files_of(source)
    if len(files) <= 1:
        with order_views(con, source, layouts, end=end, numbered=True):
            failures = order_failures(con, layouts[0] if layouts else None)
        failures = failures if not failures.empty else unnamed_failures(bad)
        reported = source if isinstance(source, InspectedOrders) else files[0]
        return ValidationFailed(order_report(failures, source=reported), _stored(failures))
    assert isinstance(source, OrderFiles)
    reports, frames = [], []
    for index, file in enumerate(files):
        with order_views(con, source, layouts, end=end, numbered=True, file=index):
            failures = order_failures(con, layouts[index])
        if not failures.empty:
            reports.append(order_report(failures, source=file))
            frames.append(failures.assign(source_file=source.name_of(file)))
    if not frames:
        frames, reports = [unnamed_failures(bad)], [order_report(unnamed_failures(bad), source=files[0])]
    head = f"{shown(source.path)}: {len(frames)} of {len(files)} file(s) break the order contract:"
    return ValidationFailed("\n".join([head, *reports]), _stored(pd.concat(frames, ignore_index=True)))


def _stored(failures: pd.DataFrame) -> pd.DataFrame:
    """What validation_failures keeps of them: FAILURE_COLUMNS, and the file or key that names a row."""
    kept = [c for c in ("source_file", "source_key") if c in failures]
    return failures[FAILURE_COLUMNS + kept]


def _sha256_of(source: OrderSource) -> str | None:
    """The sha256 of a file's bytes; of a folder's, over each file's name and sha256; None for a table."""
    if isinstance(source, InspectedOrders):
        return None
    if isinstance(source, Source):
        return sha256_file(source.path)
    digest = hashlib.sha256()
    for file in source.files:
        digest.update(f"{source.name_of(file)}\0{sha256_file(file.path)}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def period_features(history: OrderHistory, period: Period, *, lookback_months: int) -> tuple[pa.Table, PeriodFacts]:
    """One row per customer in the period with the five behavioural features (customer_features.sql).

    Raises:
        DataError: nobody ordered in the window.
    """
    start = lookback_start(period.end, lookback_months)
    with closing(open_history(history, period.end, start)) as con:
        table = con.execute(sql("orders/customer_features"), [period.end]).to_arrow_table()
        after_end, in_window, customers_to_end, first, last, ends = con.execute(
            sql("orders/order_facts"), [period.end]
        ).fetchone()
        (checksum,) = con.execute(sql("orders/order_checksum"), [period.end]).fetchone()
    facts = PeriodFacts(
        lookback_start=start,
        period_end=period.end,
        lines_after_end=int(after_end or 0),
        orders_in_window=int(in_window or 0),
        customers_to_end=int(customers_to_end or 0),
        customers=table.num_rows,
        first_order_date=_day(first),
        last_order_date=_day(last),
        history_ends=_day(ends),
        not_read_after=history.read_until,
        checksum=f"{checksum} (duckdb {duckdb.__version__})",
    )
    if table.num_rows == 0:
        if facts.first_order_date:
            held = f"its orders up to {period.end} span {facts.first_order_date} – {facts.last_order_date}"
        else:
            held = f"it has no order up to {period.end}"
        if facts.lines_after_end:
            held += f"; {facts.lines_after_end} order line(s) are after it (a later --period?)"
        raise DataError(
            f"{history.name}: no customer ordered in the window {start} (excl.) – {period.end} of {period}; " + held
        )
    return table, facts


def open_history(history: OrderHistory, end: date, window_start: date | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the history's orders, with `customer_orders` as of `end` (and
    `window_orders` of (window_start, end])."""
    return open_order_store(history.store, end, window_start=window_start)


def _day(value: object) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def read_attributes(path: str | Path, *, columns: dict[str, str] | None, delimiter: str | None) -> pa.Table:
    """A customer attributes file (customer_id and any of gender, age, annual_income), validated.

    Raises:
        InputFileError, ValidationFailed: as for a customer table.
    """
    source = inspect_source(path, columns=columns, delimiter=delimiter, contract=ATTRIBUTES)
    table = read_text_file(source, lambda layout: _read_attributes(source, layout))
    present = [c for c in ("gender", "age", "annual_income") if c in source.columns]
    return table.select(["customer_id", *present])


def _read_attributes(source: Source, layout: CsvLayout | None) -> pa.Table:
    with scratch() as con:
        open_text(con, source, "attribute", layout.read_path if layout is not None and layout.copied else None)
        con.execute(sql("parse/parse_macros"))
        con.execute(sql("orders/order_macros"))
        failures = con.execute(sql("orders/attribute_failures"), [STORED_PER_CHECK]).to_arrow_table()
        failures = relined(failures, layout).to_pandas()
        if len(failures):
            lines = int(failures["n_lines"].iloc[0])
            report = failure_report(failures, source=source, contract="attributes contract", failing_rows=lines)
            raise ValidationFailed(report, failures[FAILURE_COLUMNS])
        return con.execute(sql("orders/attribute_rows")).to_arrow_table()


def join_attributes(customers: pa.Table, attributes: pa.Table) -> pa.Table:
    """The customers with their attributes (NULL where a customer has none), in the same row order."""
    with scratch() as con:
        con.register("customers_arrow", customers)
        con.register("attributes_arrow", attributes)
        return con.execute(sql("orders/join_attributes")).to_arrow_table()


def check_features(table: pa.Table, features: tuple[str, ...], attributes_path: str | None) -> None:
    """Every feature is there for every customer of the period.

    Raises:
        DataError: naming the feature and how many customers lack it.
    """
    missing = [f for f in features if f not in table.column_names]
    if missing:
        raise DataError(f"features {missing} are not in the order history or the attributes file")
    for feature in features:
        if table.column(feature).null_count:
            raise DataError(
                f"{table.column(feature).null_count} customer(s) of the period have no {feature} in the "
                f"attributes file {attributes_path}; give every customer one or drop {feature} from the features"
            )


@dataclass
class ReadOnce:
    """An order history kept for every period of a backfill that reads the same source the same way.
    `until`: the backfill's last day, which a PostgreSQL source is read up to (every period's orders)."""

    until: date | None = None
    key: tuple[object, ...] | None = None
    history: OrderHistory | None = None


_read_once: ContextVar[ReadOnce | None] = ContextVar("segment_read_once", default=None)


@contextmanager
def read_once(until: date | None = None) -> Iterator[ReadOnce]:
    """Within this block, the runs of this thread read each order source once (a backfill's periods,
    the last of which ends on `until`); the history is removed at its end."""
    shared = ReadOnce(until)
    token = _read_once.set(shared)
    try:
        yield shared
    finally:
        _read_once.reset(token)
        if shared.history is not None:
            shared.history.remove()


def reading_key(settings: Settings, text: str) -> tuple[object, ...]:
    """What makes two reads of an order source the same read: the files' versions (a table: its URL
    and query) and how it is read."""
    how = (settings.date_format, settings.anonymous_orders, settings.delimiter, tuple(sorted(settings.columns.items())))
    if is_postgres_url(text):
        return (text, settings.orders_query, how)
    paths = order_files(text) if is_file_set(text) else [Path(text)]
    versions = []
    for path in paths:
        stat = path.stat()
        versions.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return (tuple(versions), how)


def release_history(history: OrderHistory) -> None:
    """Remove an order history once its run is done with it, unless a backfill reads it again."""
    shared = _read_once.get()
    if shared is None or shared.history is not history:
        history.remove()


@task(cache_policy=NO_CACHE)
def ingest_orders(settings: Settings, orders: str, period: Period) -> OrderHistory:
    """Read, type and check the order history (once per backfill); keep its orders for every period.
    A PostgreSQL source sends only the orders up to the period's end (a backfill's: its last period's)."""
    shared = _read_once.get()
    key = reading_key(settings, orders) if shared is not None else None
    logger = get_run_logger()
    if shared is not None and shared.history is not None and shared.key == key:
        logger.info("orders of %s already read for this backfill: not read again", shared.history.name)
        return shared.history
    source = inspect_order_source(
        orders, columns=settings.columns, delimiter=settings.delimiter, query=settings.orders_query
    )
    end = shared.until if shared is not None and shared.until is not None else period.end
    history = read_orders(
        source, date_format=settings.date_format, skip_anonymous=settings.anonymous_orders == "skip", end=end
    )
    if shared is not None:
        if shared.history is not None:
            shared.history.remove()  # a template's file of the previous period
        shared.key, shared.history = key, history
    logger.info("read %d order lines from %s (dates %s)", history.n_rows, history.name, history.date_format)
    return history


@task(cache_policy=NO_CACHE)
def customer_features(
    settings: Settings, history: OrderHistory, period: Period, attributes_path: str | None
) -> tuple[pa.Table, PeriodFacts]:
    """Each customer's behaviour as of the period's end (and attributes, when given)."""
    table, facts = period_features(history, period, lookback_months=settings.lookback_months)
    if attributes_path:
        table = join_attributes(
            table, read_attributes(attributes_path, columns=settings.columns, delimiter=settings.delimiter)
        )
    check_features(table, settings.features, attributes_path)
    logger = get_run_logger()
    logger.info("%s", facts.sentence())
    if facts.ends_early:
        logger.warning(
            "the order history ends on %s, before the period's end %s: recency is measured to a day after the data "
            "ends",
            facts.history_ends,
            period.end,
        )
    return table, facts
