"""Property-based: generated order files through the real reader (inspect, read, roll up, features).

Each example draws an order history (customers, dates in one of the date forms, amounts, order
IDs, the period's edges), perhaps breaks it (a value, a byte, a row), and writes it as a CSV
(delimiter, line endings, quotes, blank lines, a quoted line break, a BOM, column order) or as
Parquet (int, float, decimal or string amounts; date, timestamp, timestamp with a time zone or
string dates). Then, against README ("Order histories") read independently here in plain Python
(no SQL, no DuckDB, no pyarrow compute):
- an accepted file's features are README's definitions computed line by line;
- a file with bad values fails naming exactly the lines that hold them (validation failures);
- a file with a bad byte or row is refused naming its line, as a customer table is.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segmentation.errors import DataError, InputFileError, ValidationFailed
from segmentation.periods import Period
from segmentation.source import inspect_orders
from tasks.orders import period_features, read_orders

# --- README, read independently -----------------------------------------------------------------

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
BOUND, MILLIONTH = 1e15, 1e-6
# A zone (Z, +05:00) only after seconds: DuckDB's ISO cast refuses '2026-06-30T23:30Z'.
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:Z|[+-]\d{2}:\d{2})?)?)?")
FORMS = {  # the date forms this test writes: how a value reads (group order: year, month, day)
    "iso": (ISO, (1, 2, 3)),
    "%Y%m%d": (re.compile(r"(\d{4})(\d{2})(\d{2})"), (1, 2, 3)),
    "%d/%m/%Y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{2}:\d{2}(?::\d{2})?)?"), (3, 2, 1)),
    "%m/%d/%Y": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{2}:\d{2}(?::\d{2})?)?"), (3, 1, 2)),
    "%d.%m.%Y": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (3, 2, 1)),
}


def number_of(text: str | None) -> Decimal | None:
    """A number as README says: digits, optional sign, point and exponent; spaces around it
    trimmed (and the whitespace a number's cast skips: tabs); no '_', ',', currency, inf or nan."""
    if text is None or "_" in text:
        return None
    core = text.strip(" ").strip(" \t\n\r\x0b\x0c")
    return as_float(Decimal(core)) if NUMBER.fullmatch(core) else None


def as_float(value: Decimal | float) -> Decimal | None:
    """A number as README reads it: a 64-bit float (finite); one written as non-zero that a float
    holds as 0 ('1e-400') stays non-zero, so that it is below a millionth."""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return Decimal(number) if number != 0 else Decimal(value)


def amount_of(value: Decimal | None) -> Decimal | None:
    """A line's amount: at most 1e15 in size, zero or at least a millionth (compared as 64-bit floats
    are), summed to six decimals."""
    if value is None or abs(float(value)) > BOUND or (value != 0 and abs(float(value)) < MILLIONTH):
        return None
    return value.quantize(Decimal("0.000001"))


def day_of(text: str | None, form: str) -> date | None:
    """The written day of a date in the file's form, from 1900-01-01 to 2199-12-31."""
    if text is None:
        return None
    pattern, (y, m, d) = FORMS[form]
    match = pattern.fullmatch(text.strip(" "))
    if not match:
        return None
    try:
        day = date(int(match[y]), int(match[m]), int(match[d]))
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def customer_of(text: str | None) -> str | None:
    """A customer ID: trimmed of spaces, not empty, no control character (None: the line is bad)."""
    trimmed = (text or "").strip(" ")
    return trimmed if trimmed and not CONTROL.search(trimmed) else None


@dataclass
class Line:
    """One order line as written (texts, or typed values for Parquet) and where it is."""

    customer: str | None
    when: object  # text, or a date / datetime for a typed Parquet column
    amount: object  # text, or a number for a typed Parquet column
    order_id: str | None = None
    quantity: str | None = None  # with unit_price: the amount is quantity × unit_price
    unit_price: str | None = None
    note: str | None = None
    day: date | None = None  # what the line's date reads as (for typed columns: computed when drawn)
    number: Decimal | None = None  # what its amount reads as, for typed columns
    at: int = 0  # its line (CSV, the header is 1) or row (Parquet, from 1)


def expected_day(line: Line, form: str) -> date | None:
    return line.day if not isinstance(line.when, str | type(None)) else day_of(line.when, form)


def expected_amount(line: Line, from_price: bool) -> Decimal | None:
    if from_price:
        quantity, price = number_of(line.quantity), number_of(line.unit_price)
        return amount_of(quantity * price) if quantity is not None and price is not None else None
    if isinstance(line.amount, str | type(None)):
        return amount_of(number_of(line.amount))
    return amount_of(line.number)


def bad_lines(lines: list[Line], form: str, *, from_price: bool, has_quantity: bool) -> set[int]:
    bad = set()
    for line in lines:
        written = (line.quantity or "").strip(" ")
        quantity_bad = has_quantity and written != "" and number_of(line.quantity) is None
        if (
            customer_of(line.customer) is None
            or expected_day(line, form) is None
            or expected_amount(line, from_price) is None
            or (quantity_bad and not from_price)
        ):
            bad.add(line.at)
    return bad


def readme_features(lines: list[Line], form: str, end: date, *, from_price: bool) -> dict[str, dict]:
    """README's features per customer, as of `end`, over the window (end - 12 months, end]."""
    start = end.replace(year=end.year - 1)
    first_seen: dict[str, date] = {}
    orders: dict[tuple[str, str], list[tuple[date, Decimal]]] = {}
    for line in lines:
        customer, day = customer_of(line.customer), expected_day(line, form)
        if day > end:
            continue  # after the period: it does not exist for the run
        first_seen[customer] = min(day, first_seen.get(customer, day))
        if start < day:
            key = (line.order_id or "").strip(" ") or day.isoformat()  # an order: its ID, or a day of lines
            orders.setdefault((customer, key), []).append((day, expected_amount(line, from_price)))
    features: dict[str, dict] = {}
    for (customer, _), parts in orders.items():
        day, amount = min(d for d, _ in parts), sum((a for _, a in parts), Decimal(0))
        entry = features.setdefault(customer, {"last": None, "frequency": 0, "monetary": Decimal(0)})
        entry["monetary"] += amount
        if amount > 0:
            entry["frequency"] += 1
            entry["last"] = max(day, entry["last"] or day)
    return {
        customer: {
            "recency_days": (end - entry["last"]).days,
            "frequency": entry["frequency"],
            "monetary": float(entry["monetary"]),
            "avg_order_value": float(entry["monetary"] / entry["frequency"]),
            "tenure_days": (end - first_seen[customer]).days,
        }
        for customer, entry in features.items()
        if entry["frequency"] > 0
    }


# --- what is drawn ------------------------------------------------------------------------------

PERIODS = ["2026Q2", "2025Q4", "2026-02"]


def edges(end: date) -> list[date]:
    """The days where a period's rules turn: its last day and the first after, the window's first
    day and the day before it (its exclusive start), a day long before (tenure) and after."""
    start = end.replace(year=end.year - 1)
    return [end, end + timedelta(days=1), start + timedelta(days=1), start, date(2023, 3, 1), date(2027, 1, 2)]


CUSTOMERS = st.sampled_from(["C1", "C2", "C3", "007", "Ünal", "c-4"])
WRITTEN_ID = st.sampled_from(["{}", " {} ", "{}  "])
GOOD_AMOUNTS = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    st.decimals(min_value=Decimal("-500"), max_value=Decimal("-0.01"), places=2),  # returns
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("0.01"), places=6),
    st.sampled_from([Decimal(0), Decimal("1e15"), Decimal("-1e15"), Decimal("999999999.5")]),
)
BAD_AMOUNTS = [
    "1e33", "1.7e308", "1e309", "12.50\u00a0", "\u00a012.50", "12.5\u2009", "1e-7", "-4e-7", "1e-400", "+-1", "1_000",
    "1,000", "inf", "nan", "", "12 EUR", "0x10", "1000000000000000.5", "\u22125",
]  # fmt: skip
BAD_DATES = {
    "iso": ["-2026-06-16", "2026-06-16\u00a0", "1899-12-31", "2200-01-01", "0026-06-16", "9999-12-31", "", "yesterday",
            "2026-02-30", "20260616", "2026-06-16 10:00 EST", "2026-06-30T23:30Z"],
    "%Y%m%d": ["2026062", "202606160", "18991231", "2026-06-16", "", "20261301"],
    "%d/%m/%Y": ["16/06/26", "31/02/2026", "16/06/-2026", "01/01/1899", "", "2026-06-16"],
    "%m/%d/%Y": ["06/16/26", "13/01/2026", "12/31/2200", ""],
    "%d.%m.%Y": ["16.06.26", "32.01.2026", "16.06.2026\u00a0"],
}  # fmt: skip
BAD_IDS = ["", " ", "c\x01d", "c\td", "c\x7f", "\x00"]


def write_day(draw: st.DrawFn, day: date, form: str) -> str:
    """A day as the form writes it, in one of the ways exports do."""
    y, m, d = f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"
    clock = f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    if form == "iso":
        offset = draw(st.sampled_from(["-05:00", "+05:30", "+14:00", "-12:00", "+00:00"]))
        return draw(
            st.sampled_from(
                [f"{y}-{m}-{d}", f"{y}-{m}-{d} {clock}:07", f"{y}-{m}-{d}T{clock}:00{offset}",
                 f"{y}-{m}-{d}T{clock}:00Z", f" {y}-{m}-{d} "]
            )
        )  # fmt: skip
    if form == "%Y%m%d":
        return f"{y}{m}{d}"
    if form == "%d/%m/%Y":
        return draw(st.sampled_from([f"{d}/{m}/{y}", f"{day.day}/{day.month}/{y}", f"{d}/{m}/{y} {clock}"]))
    if form == "%m/%d/%Y":
        return draw(st.sampled_from([f"{m}/{d}/{y}", f"{m}/{d}/{y} {clock}:30"]))
    return f"{d}.{m}.{y}"


def write_amount(draw: st.DrawFn, value: Decimal, delimiter: str) -> str:
    text = str(value)
    forms = [text, f" {text} ", f"{value:e}", *([f"+{text}"] if value > 0 else [])]
    forms += [f"\t{text}"] * (delimiter != "\t")  # a tab beside a number is whitespace to its cast
    return draw(st.sampled_from(forms))


@dataclass
class Case:
    """A drawn order file and how to read it."""

    kind: str  # 'csv' or 'parquet'
    form: str
    period: str
    lines: list[Line]
    from_price: bool = False
    has_quantity: bool = False
    data: bytes = b""
    table: pa.Table | None = None
    structural: tuple[int, str] | None = None  # (line, what the message says) for a bad byte or row
    described: list[str] = field(default_factory=list)


def draw_lines(draw: st.DrawFn, *, form: str, end: date, delimiter: str, typed: bool) -> list[Line]:
    start = end.replace(year=end.year - 1)
    day = st.one_of(st.sampled_from(edges(end)), st.dates(start, end), st.dates(date(2023, 1, 1), date(2027, 6, 30)))
    lines = []
    for _ in range(draw(st.integers(6, 14))):
        when = draw(day)
        value = draw(GOOD_AMOUNTS)
        lines.append(
            Line(
                customer=draw(WRITTEN_ID).format(draw(CUSTOMERS)),
                when=when if typed else write_day(draw, when, form),
                amount=value if typed else write_amount(draw, value, delimiter),
                order_id=draw(st.sampled_from(["O1", "O2", "O3", " O2 ", "", None])),
                day=when,
                number=value,
            )
        )
    return lines


def break_values(draw: st.DrawFn, lines: list[Line], form: str) -> list[str]:
    """Zero to two lines with a bad value: as text, for CSV and string columns."""
    said = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        line = lines[draw(st.integers(0, len(lines) - 1))]
        what = draw(st.sampled_from(["amount", "date", "id"]))
        if what == "amount":
            line.amount = draw(st.sampled_from(BAD_AMOUNTS))
        elif what == "date":
            line.when = draw(st.sampled_from(BAD_DATES[form]))
        else:
            line.customer = draw(st.sampled_from(BAD_IDS))
        said.append(f"{what}={getattr(line, {'date': 'when', 'id': 'customer'}.get(what, what))!r}")
    return said


# --- CSV ----------------------------------------------------------------------------------------


def field_text(value: str | None, delimiter: str, quote: bool) -> str:
    if value is None:
        return ""
    if quote or any(c in value for c in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_cases(draw: st.DrawFn) -> Case:
    form = draw(st.sampled_from(list(FORMS)))
    period = draw(st.sampled_from(PERIODS))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    lines = draw_lines(draw, form=form, end=Period.parse(period).end, delimiter=delimiter, typed=False)
    case = Case("csv", form, period, lines)
    case.described += [f"form {form}", f"delimiter {delimiter!r}"]
    case.from_price = draw(st.integers(0, 4)) == 0
    case.has_quantity = case.from_price or draw(st.booleans())
    for line in lines:
        if case.from_price:  # the amount is quantity × unit_price: small whole quantities (-1: a return)
            quantity = draw(st.sampled_from([1, 2, 3, -1]))
            line.quantity, line.unit_price = str(quantity), str(abs(line.number))
        elif case.has_quantity:
            line.quantity = draw(st.sampled_from(["1", "2", " 3 ", ""]))
    case.described += break_values(draw, lines, form)
    if case.from_price and draw(st.booleans()):
        line = lines[draw(st.integers(0, len(lines) - 1))]
        line.quantity, line.unit_price = draw(st.sampled_from([("1e9", "1e7"), ("1", "1e-7"), ("x", "2"), ("", "2"),
                                                                ("2", "two"), ("1e-200", "1e-200")]))  # fmt: skip
        case.described.append(f"quantity × price {line.quantity!r} × {line.unit_price!r}")
    elif case.has_quantity and draw(st.integers(0, 3)) == 0:
        lines[draw(st.integers(0, len(lines) - 1))].quantity = "x"
        case.described.append("quantity 'x'")
    columns = ["customer_id", "order_date", *(["quantity", "unit_price"] if case.from_price else ["amount"])]
    columns += ["quantity"] * (case.has_quantity and not case.from_price)
    columns += ["order_id"] * draw(st.booleans()) + ["note"] * draw(st.booleans())
    columns = draw(st.permutations(columns))
    if "order_id" not in columns:
        for line in lines:
            line.order_id = None
    if "note" in columns:
        for line in lines:
            line.note = draw(st.sampled_from(["x", "a, b", "two\nlines", "é", ""]))
    structural = draw(
        st.sampled_from([None] * 9 + ["extra delimiter", "extra field", "missing field", "not utf-8", "open quote",
                                      "spaces line"])
    )  # fmt: skip
    if structural == "not utf-8" and "note" not in columns:
        structural = None
    ending = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    blanks = set(draw(st.lists(st.integers(0, len(lines)), max_size=2)))
    quoted = draw(st.booleans())
    # An open quote runs to the end of the file: on the last line, so that no later quote closes it.
    faulty = len(lines) - 1 if structural == "open quote" else draw(st.integers(0, len(lines) - 1))
    case.described += [f"endings {ending!r}", f"blank lines before {sorted(blanks)}", f"structural {structural}"]

    def row(line: Line | None, index: int) -> bytes:
        values = {
            "customer_id": line.customer,
            "order_date": line.when,
            "amount": line.amount,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "order_id": line.order_id,
            "note": line.note,
        }
        fields = [field_text(values[c], delimiter, quoted and c == "customer_id") for c in columns]
        text = delimiter.join(fields).encode()
        if index == faulty and structural == "open quote":
            text = b'"' + text.replace(b'"', b"")
        if index == faulty and structural == "not utf-8":
            position = columns.index("note")
            fields[position] = "caf\udce9"
            text = delimiter.join(fields).encode("utf-8", errors="surrogateescape")
        if index == faulty and structural == "extra delimiter":
            text += delimiter.encode()
        if index == faulty and structural == "extra field":
            text += (delimiter + "x").encode()
        if index == faulty and structural == "missing field":
            text = delimiter.join(fields[:-1]).encode()
        return text

    out, number = [delimiter.join(columns).encode()], 2  # the header is line 1
    breaks = {"\n": 1, "\r\n": 1, "\r": 1, "mixed": 1}[ending]
    for index, line in enumerate(lines):
        if index in blanks:
            out.append(b"")
            number += breaks
        if index == faulty and structural == "spaces line":
            out.append(b"   ")
            case.structural = (number, "has 1 field where the header has")
            number += 1
        line.at = number
        out.append(row(line, index))
        number += 1 + (line.note or "").count("\n")
    if structural and structural != "spaces line":
        at = lines[faulty].at
        case.structural = (
            at,
            {
                "extra delimiter": f"has {len(columns) + 1} fields where the header has {len(columns)}",
                "extra field": f"has {len(columns) + 1} fields where the header has {len(columns)}",
                "missing field": f"has {len(columns) - 1} field",
                "not utf-8": "is not UTF-8 text",
                "open quote": "a quoted field opens here and never closes",
            }[structural],
        )
    if ending == "mixed":
        data = out[0] + b"\n" + b"\r\n".join(out[1:]) + b"\r\n"
    else:
        data = ending.encode().join(out) + ending.encode()
    case.data = (codecs.BOM_UTF8 if draw(st.booleans()) else b"") + data
    if "\n" in "".join(line.note or "" for line in lines) and ending == "\r":
        case.described.append("a quoted LF in a CR file (mixed endings)")
    return case


# --- Parquet ------------------------------------------------------------------------------------

ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Australia/Adelaide", "+05:30", "-03:00"]


def zone_of(name: str) -> timezone | ZoneInfo:
    if name[0] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        sign = 1 if name[0] == "+" else -1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(name)


@st.composite
def parquet_cases(draw: st.DrawFn) -> Case:
    period = draw(st.sampled_from(PERIODS))
    amounts = draw(st.sampled_from(["int64", "float64", "decimal", "string"]))
    dates = draw(st.sampled_from(["date32", "timestamp", "timestamptz", "string"]))
    zone = draw(st.sampled_from(ZONES))
    lines = draw_lines(draw, form="iso", end=Period.parse(period).end, delimiter=",", typed=True)
    case = Case("parquet", "iso", period, lines)
    case.described += [f"amounts {amounts}", f"dates {dates}", f"zone {zone}"]
    for row, line in enumerate(lines, start=1):
        line.at = row
        if amounts == "int64":
            line.number = line.number.to_integral_value(rounding=ROUND_UP)  # 0.01 -> 1: still an order
        line.amount = str(line.number) if amounts == "string" else line.number
        # the local wall time of the line: near midnight, where a time zone moves the day
        clock = draw(st.sampled_from([time(0, 30), time(12), time(23, 30)]))
        local = datetime.combine(line.day, clock)
        if dates == "string":
            line.when = local.isoformat(sep=" ")
        elif dates == "date32":
            line.when = line.day
        elif dates == "timestamp":
            line.when = local
        else:
            line.when = local.replace(tzinfo=zone_of(zone)).astimezone(UTC)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        line = lines[draw(st.integers(0, len(lines) - 1))]
        what = draw(st.sampled_from(["amount", "date", "id"]))
        if what == "id":
            line.customer = draw(st.sampled_from([None, *BAD_IDS]))
        elif what == "amount":
            bad = {
                "int64": [None, 10**16, -(10**16)],
                "float64": [None, 1e300, 1e-7, -4e-7, float("nan"), float("inf"), 5e-324, 1e15 + 0.5],
                "decimal": [None, Decimal(10**16), Decimal("1000000000000000.000001")],
                "string": BAD_AMOUNTS,
            }[amounts]
            line.amount = draw(st.sampled_from(bad))
            line.number = None if line.amount is None or amounts == "string" else Decimal(line.amount)
        else:
            bad_days = [None, date(1899, 12, 31), date(2200, 1, 1), date(26, 6, 16)]
            if dates == "string":
                line.when, line.day = draw(st.sampled_from(BAD_DATES["iso"])), None
            else:
                line.day = draw(st.sampled_from(bad_days))
                noon = datetime.combine(line.day, time(12)) if line.day else None
                line.when = {"date32": line.day, "timestamp": noon}.get(dates, noon)
                if dates == "timestamptz" and noon is not None:
                    line.when = noon.replace(tzinfo=zone_of(zone)).astimezone(UTC)
        case.described.append(f"bad {what}")
    for line in lines:
        if line.day is not None and not isinstance(line.when, str):
            line.day = line.day if FIRST_DAY <= line.day <= LAST_DAY else None
        if not isinstance(line.amount, str | type(None)):
            line.number = as_float(line.amount)
    types = {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "decimal": pa.decimal128(38, 6),
        "string": pa.string(),
    }
    when_type = {
        "date32": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz=zone),
        "string": pa.string(),
    }[dates]
    amount_values = [float(a) if amounts == "float64" and a is not None else a for a in (x.amount for x in lines)]
    if amounts == "int64":
        amount_values = [int(a) if a is not None else None for a in amount_values]
    case.table = pa.table(
        {
            "customer_id": pa.array([x.customer for x in lines], pa.string()),
            "order_date": pa.array([x.when for x in lines], when_type),
            "amount": pa.array(amount_values, types[amounts]),
            "order_id": pa.array([x.order_id for x in lines], pa.string()),
        }
    )
    return case


# --- the real reader against README -------------------------------------------------------------


def check(case: Case, tmp_path: Path) -> None:
    path = tmp_path / ("orders.parquet" if case.kind == "parquet" else "orders.csv")
    if case.kind == "parquet":
        pq.write_table(case.table, path)
    else:
        path.write_bytes(case.data)
    period = Period.parse(case.period)
    given = case.form if case.form in ("%d/%m/%Y", "%m/%d/%Y") else None  # day- or month-first: say which
    try:
        source = inspect_orders(path, columns=None, delimiter=None)
        history = read_orders(source, date_format=given)
        try:
            table, _ = period_features(history, period, lookback_months=12)
        finally:
            history.remove()
        verdict: object = {row.pop("customer_id"): row for row in table.to_pylist()}
    except ValidationFailed as failed:
        verdict = failed
    except (InputFileError, DataError) as refused:
        verdict = refused
    said = (case.described, verdict if not isinstance(verdict, dict) else "accepted")
    if case.structural:
        line, words = case.structural
        assert isinstance(verdict, InputFileError), said
        assert str(verdict).startswith(str(path)), said
        assert re.search(rf"line {line}\b", str(verdict)), (said, line)
        assert words in str(verdict), (said, words)
        event("refused: bytes or rows")
        return
    bad = bad_lines(case.lines, case.form, from_price=case.from_price, has_quantity=case.has_quantity)
    if bad:
        assert isinstance(verdict, ValidationFailed), (said, sorted(bad))
        assert set(verdict.failures["source_line"].astype(int)) == bad, said
        assert f"in {len(bad)} order line(s) break the order contract" in str(verdict), said
        event("refused: values")
        return
    expected = readme_features(case.lines, case.form, period.end, from_price=case.from_price)
    if not expected:
        assert isinstance(verdict, DataError), said
        assert "no customer ordered in the window" in str(verdict), said
        event("nobody in the window")
        return
    assert isinstance(verdict, dict), said
    assert set(verdict) == set(expected), said
    for customer, features in expected.items():
        got = verdict[customer]
        for name in ("recency_days", "frequency", "tenure_days"):
            assert got[name] == features[name], (said, customer, name)
        for name in ("monetary", "avg_order_value"):
            assert got[name] == pytest.approx(features[name], rel=1e-12, abs=1e-9), (said, customer, name)
    event("accepted")


# Bounded like the customer-table properties (each example reads a file through DuckDB, about
# 0.1 s): examples are drawn afresh on every run (no example database), so runs add up.
BOUNDED = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@BOUNDED
@given(case=csv_cases())
def test_generated_csv_order_files_are_read_as_readme_says(tmp_path: Path, case: Case) -> None:
    check(case, tmp_path)


@settings(BOUNDED, max_examples=30)
@given(case=parquet_cases())
def test_generated_parquet_order_files_are_read_as_readme_says(tmp_path: Path, case: Case) -> None:
    check(case, tmp_path)


def test_readme_model_by_hand() -> None:
    """The independent reading itself, on values whose answer is written down."""
    assert number_of(" 12.50 ") == Decimal("12.50")
    assert number_of("\t1e3") == Decimal(1000)
    assert [number_of(t) for t in ("1_000", "1,000", "12.50\u00a0", "+-1", "inf", "", "0x10")] == [None] * 7
    assert [amount_of(Decimal(t)) for t in ("1e15", "0", "0.000001")] == [Decimal(t) for t in ("1e15", "0", "1e-6")]
    assert [amount_of(Decimal(t)) for t in ("1.000000000000001e15", "1e-7", "1e-400")] == [None] * 3
    assert day_of("2026-06-30T23:30:00-05:00", "iso") == date(2026, 6, 30)  # the written day
    assert day_of("16/06/26", "%d/%m/%Y") is None
    assert day_of("2026062", "%Y%m%d") is None
    assert day_of("-2026-06-16", "iso") is None
    assert day_of("1899-12-31", "iso") is None
    assert customer_of(" C1 ") == "C1"
    assert customer_of("c\x01") is None
    lines = [
        Line("C1", "2026-06-30", "10", order_id="A", at=2),
        Line("C1", "2026-06-30", "-4", order_id="A", at=3),  # the same order: netted
        Line("C1", "2025-06-30", "99", at=4),  # the window's exclusive start: tenure only
        Line("C2", "2026-07-01", "5", at=5),  # after the end: does not exist
        Line("C3", "2025-07-01", "-5", at=6),  # a pure return on the window's first day: not an order
    ]
    assert readme_features(lines, "iso", date(2026, 6, 30), from_price=False) == {
        "C1": {"recency_days": 0, "frequency": 1, "monetary": 6.0, "avg_order_value": 6.0, "tenure_days": 365}
    }
