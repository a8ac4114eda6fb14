"""Sources: which file, which format, which delimiter, which column is which.

Everything here runs before Prefect starts (the command line checks the source with it in well
under two seconds) and again inside the ingest task, so scheduled runs record the same failures.
No Prefect, pandas or pandera is imported.

A source is a CSV (comma, semicolon or tab separated; detected from the header line unless
given) or a Parquet file. Columns are matched to the contract by name, in any order: the
documented headers (`CustomerID`, `Gender` or `Genre`, `Age`, `Annual Income (k$)`,
`Spending Score (1-100)`) and the canonical names (`customer_id`, `gender`, `age`,
`annual_income`, `spending_score`) are accepted whatever their case, spacing or punctuation
(`Customer Id`, `annual income`, `SPENDING_SCORE`). Anything else is mapped explicitly:
`--columns annual_income=Income,spending_score=Score`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from schemas.columns import (
    ATTRIBUTE_HEADERS,
    ATTRIBUTE_REQUIRED,
    CANONICAL_HEADERS,
    ORDER_HEADERS,
    ORDER_REQUIRED,
)
from segmentation.csvfile import detect_fields_delimiter, read_first_record, shown
from segmentation.errors import InputFileError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
DELIMITER_NAMES = {name: char for char, name in DELIMITERS.items()} | {"\\t": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"

# Headers accepted for each column without a mapping; compared after `normalise`.
ACCEPTED_HEADERS: dict[str, tuple[str, ...]] = {
    "customer_id": ("CustomerID", "customer_id"),
    "gender": ("Gender", "Genre", "gender"),
    "age": ("Age",),
    "annual_income": ("Annual Income (k$)", "annual_income"),
    "spending_score": ("Spending Score (1-100)", "spending_score"),
}


@dataclass(frozen=True)
class Contract:
    """The columns one kind of source has: documented headers, accepted spellings, which are required."""

    kind: str  # 'customers', 'orders' or 'attributes': what messages call the file
    headers: dict[str, str]  # canonical column -> the documented header, in contract order
    accepted: dict[str, tuple[str, ...]]  # canonical column -> headers matched without a mapping
    required: tuple[str, ...]

    def __post_init__(self) -> None:
        keys = {normalise(h): c for c, hs in self.accepted.items() for h in (*hs, c, self.headers[c])}
        object.__setattr__(self, "_by_key", keys)

    def canonical(self, name: str) -> str | None:
        """The contract column a header or option names, if any ('Customer Id' -> 'customer_id')."""
        return self._by_key.get(normalise(name))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Source:
    """A source file, inspected: what ingest reads and what the run records."""

    path: Path  # absolute
    kind: Literal["csv", "parquet"]
    delimiter: str | None  # CSV only
    header: tuple[str, ...]  # the file's column names, in file order
    columns: dict[str, str]  # canonical column -> the file's column name
    extra_columns: tuple[str, ...]  # the file's columns outside the contract, ignored

    @property
    def reader_columns(self) -> dict[str, str]:
        """CSV column name -> DuckDB type, in file order: canonical names for the contract's
        columns, `extra_<i>` for the rest; all text, so validation sees every value as written."""
        by_name = {name: canonical for canonical, name in self.columns.items()}
        return {by_name.get(name, f"extra_{i}"): "VARCHAR" for i, name in enumerate(self.header)}

    @property
    def row_word(self) -> str:
        """How messages count rows: CSV lines (the header is line 1) or Parquet rows (from 1)."""
        return "line" if self.kind == "csv" else "row"


def normalise(name: str) -> str:
    """Lower-case letters and digits only: 'Annual Income (k$)' -> 'annualincomek'."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


CUSTOMERS = Contract("customers", CANONICAL_HEADERS, ACCEPTED_HEADERS, tuple(CANONICAL_HEADERS))
# Real order exports name their columns many ways; these match without a mapping (Online
# Retail's InvoiceNo/InvoiceDate/UnitPrice, Shopify's Created at/Total, ...).
ORDERS = Contract(
    "orders",
    ORDER_HEADERS,
    {
        "customer_id": ("CustomerID", "Customer", "Client ID", "Customer Number", "User ID", "Buyer ID"),
        "order_date": (
            "Order Date",
            "Date",
            "InvoiceDate",
            "Invoice Date",
            "Purchase Date",
            "Transaction Date",
            "Order Time",
            "Created At",
            "Order Datetime",
            "Timestamp",
        ),
        "amount": (
            "Amount",
            "Total",
            "Order Total",
            "Sales",
            "Revenue",
            "Net Amount",
            "Line Total",
            "Total Amount",
            "Sale Amount",
            "Value",
        ),
        "order_id": ("OrderID", "Order Number", "Invoice", "InvoiceNo", "Invoice No", "Transaction ID", "Receipt"),
        "quantity": ("Quantity", "Qty", "Units"),
        "unit_price": ("UnitPrice", "Price", "Unit Price", "Item Price"),
    },
    ORDER_REQUIRED,
)
ATTRIBUTES = Contract(
    "attributes",
    ATTRIBUTE_HEADERS,
    {c: ACCEPTED_HEADERS[c] for c in ATTRIBUTE_HEADERS},
    ATTRIBUTE_REQUIRED,
)


def canonical_column(name: str, contract: Contract = CUSTOMERS) -> str | None:
    """The contract column a header or option names, if any ('Customer Id' -> 'customer_id')."""
    return contract.canonical(name)


def parse_delimiter(text: str | None) -> str | None:
    """',', ';', tab, or their names ('comma', 'semicolon', 'tab'); None: detect it.

    Raises:
        ValueError: anything else.
    """
    if text is None or text == "":
        return None
    if text in DELIMITERS:
        return text
    if text.casefold() in DELIMITER_NAMES:
        return DELIMITER_NAMES[text.casefold()]
    raise ValueError(f"delimiter {text!r} is not one of: comma (,), semicolon (;), tab")


def parse_column_map(text: str | Mapping[str, str] | None, contract: Contract | None = None) -> dict[str, str]:
    """Parse 'customer_id=Customer Id,annual_income=Income' into canonical column -> file column.

    Raises:
        ValueError: a pair without '=', an unknown contract column, or a column mapped twice.
    """
    if not text:
        return {}
    pairs = text.items() if isinstance(text, Mapping) else (_split_pair(part) for part in text.split(","))
    mapping: dict[str, str] = {}
    for key, value in pairs:
        # Without a contract, a column of any source kind may be mapped (one --columns for orders and attributes).
        contracts = (contract,) if contract else (CUSTOMERS, ORDERS)
        canonical = next((c.canonical(key) for c in contracts if c.canonical(key)), None)
        if canonical is None:
            known = list(dict.fromkeys(h for c in contracts for h in c.headers))
            raise ValueError(f"{key!r} is not a column of the contract; map one of {known}")
        if canonical in mapping:
            raise ValueError(f"{canonical} is mapped twice")
        mapping[canonical] = value.strip()
    return mapping


def _split_pair(part: str) -> tuple[str, str]:
    key, sep, value = part.partition("=")
    value = value.strip().strip("'\"")  # 'Customer Id' as quoted in a shell or a .env file
    if not sep or not key.strip() or not value:
        raise ValueError(f"{part.strip()!r} is not COLUMN=HEADER, e.g. annual_income=Income")
    return key.strip(), value


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields; comma when none splits it."""
    return detect_fields_delimiter(header_line)


def check_file(path: Path) -> None:
    """Refuse what is not a readable file, saying which it is."""
    name = shown(path)
    if path.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file; name the CSV or Parquet file inside it")
    if not path.exists():
        raise InputFileError(f"{name}: no such file")
    if not path.is_file():
        raise InputFileError(f"{name}: is not a regular file")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{name}: cannot be read (permission denied)")


def is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def csv_header(path: Path, delimiter: str | None) -> tuple[list[str], str]:
    """The first line's fields and the delimiter they were split with (detected unless given).

    Whatever the line endings (LF, CRLF, CR); UTF-16/32 and text that is not UTF-8 are refused
    here, before anything runs (see segmentation.csvfile).
    """
    return read_first_record(path, delimiter)


def parquet_header(path: Path) -> list[str]:
    import pyarrow.parquet as pq  # only Parquet sources pay for it

    try:
        with path.open("rb") as handle:  # a handle: Arrow cannot open a name that is not UTF-8
            return list(pq.read_schema(handle).names)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputFileError(f"{shown(path)}: cannot be read as Parquet ({exc})") from None


def map_columns(
    header: list[str],
    mapping: Mapping[str, str],
    *,
    source: str,
    delimiter: str | None = None,
    contract: Contract = CUSTOMERS,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Match the file's columns to the contract.

    Args:
        header: the file's column names, in order.
        mapping: explicit canonical column -> file column (from --columns / SEGMENT_COLUMNS);
            entries for columns outside `contract` are ignored.
        source: the file, for messages.
        delimiter: the CSV delimiter used, for hints.
        contract: the columns this kind of source has.

    Returns:
        canonical column -> file column (required and found optional columns), and the file's other columns.

    Raises:
        InputFileError: a column is missing, given twice or mapped to nothing; with hints.
    """
    names = [name.strip() for name in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputFileError(f"{source}: the header names {repeated} more than once; keep one of each")
    found: dict[str, str] = {}
    mapping = {c: v for c, v in mapping.items() if c in contract.headers}
    for canonical, wanted in mapping.items():
        match = _find(names, wanted)
        if match is None:
            raise InputFileError(
                f"{source}: the column mapping names {wanted!r} for {canonical}, but the header has no such "
                f"column; it has {names}"
            )
        found[canonical] = match
    for name in names:
        canonical = contract.canonical(name)
        if canonical is None or canonical in mapping or name in found.values():
            continue
        if canonical in found:
            raise InputFileError(
                f"{source}: columns {found[canonical]!r} and {name!r} both give {canonical}; keep one, "
                f'or choose with --columns "{canonical}={name}"'
            )
        found[canonical] = name
    missing = [c for c in contract.required if c not in found]
    if missing:
        raise InputFileError(_missing_message(source, names, missing, found, delimiter, contract))
    used = set(found.values())
    return {c: found[c] for c in contract.headers if c in found}, tuple(n for n in names if n not in used)


def _find(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    close = [n for n in names if normalise(n) == normalise(wanted)]
    return close[0] if len(close) == 1 else None


def _missing_message(
    source: str,
    names: list[str],
    missing: list[str],
    found: dict[str, str],
    delimiter: str | None,
    contract: Contract = CUSTOMERS,
) -> str:
    shown = [contract.headers[c] for c in missing]
    lines = [f"{source}: missing required column(s) {shown}; the header has {names}"]
    if len(names) == 1:
        other = [DELIMITERS[d] for d in DELIMITERS if d != delimiter and d in names[0]]
        if other:
            lines.append(
                f"hint: the header looks {other[0]}-separated; give --delimiter {other[0]} (or drop --delimiter "
                "to detect it)"
            )
        elif re.search(r"\S\s{2,}\S|\S \S+ \S", names[0].strip()):
            # aligned columns ("customer_id  date  amount"): no delimiter to give, and no name to guess
            lines.append(
                "hint: the header is one field of several space-separated names: columns aligned with spaces "
                "cannot be read; save the file as CSV (comma, semicolon or tab between values)"
            )
            return "\n".join(lines)
    unused = [n for n in names if n not in found.values()]
    for canonical in missing:
        guess = _closest(canonical, unused, contract)
        if guess:
            lines.append(
                f"hint: did you mean {guess!r} for {contract.headers[canonical]!r}? "
                f'map it with --columns "{canonical}={guess}"'
            )
    if len(lines) == 1:
        example = ",".join(f"{c}={contract.headers[c].split()[0].title()}" for c in missing[:2])
        lines.append(f"hint: name the columns with --columns, e.g. --columns {example} (or SEGMENT_COLUMNS)")
    return "\n".join(lines)


def _closest(canonical: str, candidates: list[str], contract: Contract = CUSTOMERS) -> str | None:
    targets = [normalise(h) for h in (*contract.accepted[canonical], canonical)]
    best, best_score = None, 0.0
    for name in candidates:
        key = normalise(name)
        if not key:
            continue
        score = max(difflib.SequenceMatcher(None, key, target).ratio() for target in targets)
        if any(key in target or target in key for target in targets):
            score = max(score, 0.75)
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= 0.6 else None


def inspect_source(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    contract: Contract = CUSTOMERS,
) -> Source:
    """Check a source file and match its columns to the contract, reading only its header.

    Args:
        path: the CSV or Parquet file.
        columns: explicit canonical column -> file column.
        delimiter: the CSV delimiter; None detects it from the header line.
        contract: the columns this kind of source has (customers by default).

    Returns:
        The inspected source.

    Raises:
        InputFileError: the file is missing, a folder, unreadable, empty, not UTF-8, or its
            header does not map onto the contract (with hints).
    """
    path = Path(path)
    check_file(path)
    absolute = path.resolve()
    if is_parquet(path):
        header, kind, used = parquet_header(path), "parquet", None
    else:
        header, used = csv_header(path, delimiter)
        kind = "csv"
    found, extra = map_columns(header, columns or {}, source=shown(path), delimiter=used, contract=contract)
    return Source(absolute, kind, used, tuple(h.strip() for h in header), found, extra)


def inspect_orders(path: str | Path, *, columns: Mapping[str, str] | None, delimiter: str | None) -> Source:
    """Check an order file and map its header; it needs an amount, or a quantity and a unit price.

    Raises:
        InputFileError: as `inspect_source`, or no way to know a line's amount.
    """
    source = inspect_source(path, columns=columns, delimiter=delimiter, contract=ORDERS)
    if "amount" not in source.columns and not {"quantity", "unit_price"} <= set(source.columns):
        raise InputFileError(
            f"{source.path}: no amount column: the header has {list(source.header)}\n"
            'hint: map the line amount with --columns "amount=YOUR HEADER", or give quantity and unit_price '
            '(e.g. --columns "quantity=Qty,unit_price=Price")'
        )
    return source
