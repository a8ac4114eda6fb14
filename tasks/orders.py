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
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.csvfile import CsvLayout, checked_csv, describe_csv_error, refuse_bad_records, relined, shown
from segmentation.errors import DataError, InputFileError, ValidationFailed
from segmentation.failures import FAILURE_COLUMNS, GUEST_HINT, STORED_PER_CHECK, failure_report, has_guest_lines
from segmentation.files import sha256_file
from segmentation.periods import Period
from segmentation.results import OrderHistory, PeriodFacts
from segmentation.settings import Settings
from segmentation.source import ATTRIBUTES, Source, inspect_orders, inspect_source
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
    """Define the temporary view `<kind>_text` over the file: its contract columns as text, with
    their line (warehouse/sql/orders/<kind>_text_csv.sql, or _arrow.sql over a Parquet file's rows).
    `read_path`: what DuckDB reads instead of the file itself (a copy with LF line endings)."""
    if source.kind == "parquet":
        try:
            with source.path.open("rb") as handle:  # a handle: Arrow cannot open a name that is not UTF-8
                table = pq.read_table(handle, columns=list(source.columns.values()))
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputFileError(f"{shown(source.path)}: cannot be read as Parquet ({exc})") from None
        table = table.rename_columns(list(source.columns))
        table = pa.table({name: _as_text(table.column(name), source, name) for name in table.column_names})
        lines = pa.array(range(1, table.num_rows + 1), type=pa.int64())
        con.register(f"{kind}_arrow", table.append_column("source_line", lines))
        con.execute(sql(f"orders/{kind}_text_arrow"))
        return
    con.execute("SET VARIABLE source_path = ?", [str(read_path or source.path)])
    con.execute("SET VARIABLE reader_columns = ?", [source.reader_columns])
    con.execute("SET VARIABLE delimiter = ?", [source.delimiter])
    con.execute(sql("parse/csv_macros"))  # after the variables: DuckDB binds read_csv's arguments when it is made
    con.execute(sql(f"orders/{kind}_text_csv"))


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as the text the contract reads: a timestamp with a time zone as its local
    time in that zone (the written local day, as a CSV's offset does not move its date); any other
    value as pyarrow writes it ('2026-06-30', '2026-06-30 23:30:00', '12.5', '1e-07').

    Raises:
        pyarrow.ArrowException: the column has no text form (a list, a struct, bytes that are not UTF-8).
    """
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.local_timestamp(column)
    return column.cast(pa.string())


def _as_text(column: pa.ChunkedArray, source: Source, name: str) -> pa.ChunkedArray:
    try:
        return as_text(column)
    except pa.ArrowException as exc:
        header = source.columns.get(name, name)
        raise InputFileError(
            f"{shown(source.path)}: column {header!r} ({column.type}) is not text, a number or a date "
            f"({str(exc).splitlines()[0]})"
        ) from None


def open_orders(con: duckdb.DuckDBPyConnection, source: Source, read_path: Path | None = None) -> None:
    """Define the temporary views `order_text` and `order_values` over the file (contract columns as text)."""
    con.execute(sql("orders/order_macros"))
    open_text(con, source, "order", read_path)


def read_text_file(source: Source, read: Callable[[CsvLayout | None], T]) -> T:
    """`read(layout)` reads the file with the customer table's byte and row rules (README).

    A CSV's every byte is checked first, as a customer table's is (segmentation/csvfile.py, one
    pass in C-speed searches): a byte that is not UTF-8 text, in any column, is named by line; a
    row ending in one delimiter too many has its fields counted exactly; CR or mixed line endings
    are read from a copy with LF endings (`layout.read_path`, same lines; removed once read).
    When DuckDB's reader still refuses the file, records with the wrong number of fields are
    listed; anything else is said with DuckDB's own words and the line. A Parquet file: `read(None)`.
    """
    if source.kind != "csv":
        try:
            return read(None)
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            raise InputFileError(f"{shown(source.path)}: cannot be read ({str(exc).splitlines()[0]})") from None
    layout = checked_csv(source.path, source.delimiter or ",")
    try:
        return read(layout)
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        refuse_bad_records(source.path, source.delimiter or ",")
        raise InputFileError(describe_csv_error(exc, source=shown(source.path), layout=layout)) from None
    finally:
        layout.release()


def _set_date_form(con: duckdb.DuckDBPyConnection, form: str, patterns: tuple[str, ...]) -> None:
    con.execute("SET VARIABLE date_iso = ?", [form == "iso"])
    con.execute("SET VARIABLE date_formats = ?", [list(patterns) or ["%Y-%m-%d"]])
    con.execute("SET VARIABLE date_width = ?", [date_width(form)])
    con.execute("SET VARIABLE date_label = ?", ["ISO date" if form == "iso" else form])


def order_failures(con: duckdb.DuckDBPyConnection, layout: CsvLayout | None) -> pd.DataFrame:
    """FAILURE_COLUMNS rows (at most STORED_PER_CHECK per check) plus n_failing per check and n_lines,
    with each line as an editor shows it (a blank line or a quoted line break counts)."""
    failures = con.execute(sql("orders/order_failures"), [STORED_PER_CHECK]).to_arrow_table()
    return relined(failures, layout).to_pandas()


def order_report(failures: pd.DataFrame, *, source: Source) -> str:
    """The validation report of an order file (segmentation/failures.py): the failing lines
    counted exactly, and never empty."""
    if failures.empty:  # a bug in the reader, never an empty report
        failures = unnamed_failures(0)
    lines = int(failures["n_lines"].iloc[0]) if "n_lines" in failures else None
    report = failure_report(failures, source=source, contract="order contract", failing_rows=lines, unit="order line")
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


def read_orders(source: Source, *, date_format: str | None, skip_anonymous: bool = False) -> OrderHistory:
    """Read, type and check an inspected order file in one pass, and keep its orders for every
    period that reads them (a DuckDB file in a temporary folder: `OrderHistory.remove` deletes it).

    Lines without a customer ID (guest orders) break the contract, unless `skip_anonymous`: then
    they are left out and counted.

    Raises:
        InputFileError: the file cannot be read as CSV, has no lines, or no date form fits.
        ValidationFailed: lines break the contract (every failing value, by line).
    """
    folder = Path(tempfile.mkdtemp(prefix="segment-orders-"))
    try:
        return read_text_file(
            source, lambda layout: _read_orders(source, layout, date_format, skip_anonymous, folder / STORE)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _read_orders(
    source: Source, layout: CsvLayout | None, date_format: str | None, skip_anonymous: bool, store: Path
) -> OrderHistory:
    store.unlink(missing_ok=True)  # a first try that DuckDB refused (read again from an LF copy)
    # Tens of millions of orders are grouped here, so it may use more memory than the run's other
    # DuckDB instances (it is closed before anything else runs).
    with closing(open_scratch(memory_limit=ORDERS_MEMORY_LIMIT, path=store)) as con:
        open_orders(con, source, layout.read_path if layout is not None and layout.copied else None)
        values = [row[0] for row in con.execute(sql("orders/order_date_sample"), [DATE_SAMPLE]).fetchall()]
        if not values:
            total = con.execute("SELECT count(*) FROM order_text").fetchone()[0]
            if total == 0:
                raise InputFileError(f"{source.path}: the header is there but there are no order lines")
        form, patterns = choose_date_format(values or ["2000-01-01"], date_format, source=str(source.path))
        _set_date_form(con, form, patterns)
        amount_from_price = "amount" not in source.columns
        con.execute("SET VARIABLE amount_from_price = ?", [amount_from_price])  # for order_failures.sql
        con.execute("SET VARIABLE skip_anonymous = ?", [skip_anonymous])
        parameters = [form == "iso", list(patterns) or ["%Y-%m-%d"], date_width(form), amount_from_price]
        con.execute(sql("orders/order_parts"), [*parameters, skip_anonymous])
        lines, bad, anonymous = con.execute(sql("orders/order_part_counts")).fetchone()
        if not lines:
            raise InputFileError(f"{source.path}: the header is there but there are no order lines")
        if not bad:
            con.execute(sql("orders/orders"))
        if bad or con.execute(sql("orders/order_bad_ids")).fetchone()[0]:
            failures = order_failures(con, layout)
            if failures.empty:
                failures = unnamed_failures(int(bad))
            raise ValidationFailed(order_report(failures, source=source), failures[FAILURE_COLUMNS])
    return OrderHistory(source, sha256_file(source.path), int(lines), form, int(anonymous), store)


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
    )
    if table.num_rows == 0:
        if facts.first_order_date:
            held = f"the file's orders up to {period.end} span {facts.first_order_date} – {facts.last_order_date}"
        else:
            held = f"the file has no order up to {period.end}"
        if facts.lines_after_end:
            held += f"; {facts.lines_after_end} order line(s) are after it (a later --period?)"
        raise DataError(
            f"{history.source.path}: no customer ordered in the window {start} (excl.) – {period.end} of {period}; "
            + held
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
    """An order history kept for every period of a backfill that reads the same file the same way."""

    key: tuple[object, ...] | None = None
    history: OrderHistory | None = None


_read_once: ContextVar[ReadOnce | None] = ContextVar("segment_read_once", default=None)


@contextmanager
def read_once() -> Iterator[ReadOnce]:
    """Within this block, the runs of this thread read each order file once (a backfill's periods);
    the history is removed at its end."""
    shared = ReadOnce()
    token = _read_once.set(shared)
    try:
        yield shared
    finally:
        _read_once.reset(token)
        if shared.history is not None:
            shared.history.remove()


def reading_key(settings: Settings, path: str) -> tuple[object, ...]:
    """What makes two reads of an order file the same read: the file's version and how it is read."""
    stat = Path(path).stat()
    how = (settings.date_format, settings.anonymous_orders, settings.delimiter, tuple(sorted(settings.columns.items())))
    return (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino, how)


def release_history(history: OrderHistory) -> None:
    """Remove an order history once its run is done with it, unless a backfill reads it again."""
    shared = _read_once.get()
    if shared is None or shared.history is not history:
        history.remove()


@task(cache_policy=NO_CACHE)
def ingest_orders(settings: Settings, orders_path: str) -> OrderHistory:
    """Read, type and check the order history (once per backfill); keep its orders for every period."""
    shared = _read_once.get()
    key = reading_key(settings, orders_path) if shared is not None else None
    if shared is not None and shared.history is not None and shared.key == key:
        get_run_logger().info("orders of %s already read for this backfill: not read again", orders_path)
        return shared.history
    source = inspect_orders(orders_path, columns=settings.columns, delimiter=settings.delimiter)
    history = read_orders(source, date_format=settings.date_format, skip_anonymous=settings.anonymous_orders == "skip")
    if shared is not None:
        if shared.history is not None:
            shared.history.remove()  # a template's file of the previous period
        shared.key, shared.history = key, history
    get_run_logger().info("read %d order lines from %s (dates %s)", history.n_rows, source.path, history.date_format)
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
