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

from schemas.columns import CANONICAL_HEADERS
from tasks.csvfile import detect_fields_delimiter, read_first_record, shown
from tasks.errors import InputFileError

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


_ACCEPTED = {normalise(h): canonical for canonical, headers in ACCEPTED_HEADERS.items() for h in headers}


def canonical_column(name: str) -> str | None:
    """The contract column a header or option names, if any ('Customer Id' -> 'customer_id')."""
    return _ACCEPTED.get(normalise(name))


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


def parse_column_map(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """Parse 'customer_id=Customer Id,annual_income=Income' into canonical column -> file column.

    Raises:
        ValueError: a pair without '=', an unknown contract column, or a column mapped twice.
    """
    if not text:
        return {}
    pairs = text.items() if isinstance(text, Mapping) else (_split_pair(part) for part in text.split(","))
    mapping: dict[str, str] = {}
    for key, value in pairs:
        canonical = canonical_column(key)
        if canonical is None:
            raise ValueError(f"{key!r} is not a column of the contract; map one of {list(CANONICAL_HEADERS)}")
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
    here, before anything runs (see tasks.csvfile).
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
    header: list[str], mapping: Mapping[str, str], *, source: str, delimiter: str | None = None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Match the file's columns to the contract.

    Args:
        header: the file's column names, in order.
        mapping: explicit canonical column -> file column (from --columns / SEGMENT_COLUMNS).
        source: the file, for messages.
        delimiter: the CSV delimiter used, for hints.

    Returns:
        canonical column -> file column, and the file's other columns.

    Raises:
        InputFileError: a column is missing, given twice or mapped to nothing; with hints.
    """
    names = [name.strip() for name in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputFileError(f"{source}: the header names {repeated} more than once; keep one of each")
    found: dict[str, str] = {}
    for canonical, wanted in mapping.items():
        match = _find(names, wanted)
        if match is None:
            raise InputFileError(
                f"{source}: the column mapping names {wanted!r} for {canonical}, but the header has no such "
                f"column; it has {names}"
            )
        found[canonical] = match
    for name in names:
        canonical = canonical_column(name)
        if canonical is None or canonical in mapping or name in found.values():
            continue
        if canonical in found:
            raise InputFileError(
                f"{source}: columns {found[canonical]!r} and {name!r} both give {canonical}; keep one, "
                f'or choose with --columns "{canonical}={name}"'
            )
        found[canonical] = name
    missing = [c for c in CANONICAL_HEADERS if c not in found]
    if missing:
        raise InputFileError(_missing_message(source, names, missing, found, delimiter))
    used = set(found.values())
    return {c: found[c] for c in CANONICAL_HEADERS}, tuple(n for n in names if n not in used)


def _find(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    close = [n for n in names if normalise(n) == normalise(wanted)]
    return close[0] if len(close) == 1 else None


def _missing_message(
    source: str, names: list[str], missing: list[str], found: dict[str, str], delimiter: str | None
) -> str:
    shown = [CANONICAL_HEADERS[c] for c in missing]
    lines = [f"{source}: missing required column(s) {shown}; the header has {names}"]
    if len(names) == 1:
        other = [DELIMITERS[d] for d in DELIMITERS if d != delimiter and d in names[0]]
        if other:
            lines.append(
                f"hint: the header looks {other[0]}-separated; give --delimiter {other[0]} (or drop --delimiter "
                "to detect it)"
            )
    unused = [n for n in names if n not in found.values()]
    for canonical in missing:
        guess = _closest(canonical, unused)
        if guess:
            lines.append(
                f"hint: did you mean {guess!r} for {CANONICAL_HEADERS[canonical]!r}? "
                f'map it with --columns "{canonical}={guess}"'
            )
    if len(lines) == 1:
        lines.append(
            "hint: name the columns with --columns, e.g. --columns customer_id=Id,annual_income=Income "
            "(or SEGMENT_COLUMNS)"
        )
    return "\n".join(lines)


def _closest(canonical: str, candidates: list[str]) -> str | None:
    targets = [normalise(h) for h in ACCEPTED_HEADERS[canonical]]
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
    path: str | Path, *, columns: Mapping[str, str] | None = None, delimiter: str | None = None
) -> Source:
    """Check a source file and match its columns to the contract, reading only its header.

    Args:
        path: the CSV or Parquet file.
        columns: explicit canonical column -> file column.
        delimiter: the CSV delimiter; None detects it from the header line.

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
    found, extra = map_columns(header, columns or {}, source=shown(path), delimiter=used)
    return Source(absolute, kind, used, tuple(h.strip() for h in header), found, extra)
