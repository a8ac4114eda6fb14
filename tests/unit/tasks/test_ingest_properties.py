"""Property-based: mutated Mall files through the real reading code (preflight, read, validate).

Each example applies one to three mutations (byte flips, truncation, encodings, line endings,
quotes, delimiters, headers, numbers, IDs, blank lines, extra fields) and checks:
- nothing but InputFileError escapes, and a refusal names the file and a line (or the header);
- the verdict equals an independent reading of the contract with Python's csv module:
  accepted files meet it, refused files break it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemas.columns import GENDERS
from segmentation.errors import InputFileError
from segmentation.source import inspect_source, map_columns
from tasks.ingest import read_source
from tasks.validate import check_rows
from tasks.validate import report as validation_report
from tests.helpers import MALL_CSV

MALL = MALL_CSV.read_bytes()
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
CONTROL = re.compile(r"[\x00-\x1f]")


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def change_row(data: bytes, index: int, change: object) -> bytes:
    """Apply change(row) -> row to one data row (by index, wrapping), if the file has any."""
    lines = lines_of(data)
    if len(lines) < 2:
        return data
    at = 1 + index % (len(lines) - 1)
    lines[at] = change(lines[at])
    return b"\n".join(lines)


def row_with(data: bytes, index: int, column: int, value: bytes) -> bytes:
    def change(row: bytes) -> bytes:
        fields = row.split(b",")
        if column < len(fields):
            fields[column] = value
        return b",".join(fields)

    return change_row(data, index, change)


values = st.sampled_from(
    [b"1_000", b'"1,000"', b"1e1", b" 42 ", b"+42", b"-5", b"4.5", b"", b"inf", b"nan", b"0x10", b"1e400", b"  ", b"x"]
)
ids = st.sampled_from([b"1\x005", b"7\x01", b"", b" ", b"3", b'"a\nb"', b"C-1", b'"9"', b"\xc3\xa9"])
genders = st.sampled_from([b"Male", b"female", b" Female ", b"F", b"Ma\x00le", b"", b"\xe9"])

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(MALL) - 1), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, len(MALL))),
    st.tuples(st.just("encode"), st.sampled_from(["utf-16", "utf-16-le", "utf-32-be", "cp1252"])),
    st.tuples(st.just("endings"), st.sampled_from([b"\r", b"\r\n"]), st.booleans(), st.integers(0, 200)),
    st.tuples(st.just("quote"), st.integers(0, 199), st.integers(0, 4)),
    st.tuples(st.just("stray quote"), st.integers(0, 199)),
    st.tuples(st.just("delimiter"), st.sampled_from([b";", b"\t"]), st.booleans(), st.integers(0, 199)),
    st.tuples(st.just("header"), st.sampled_from(["drop", "rename", "repeat", "blank", "extra", "spaces"])),
    st.tuples(st.just("number"), st.integers(0, 199), st.integers(2, 4), values),
    st.tuples(st.just("id"), st.integers(0, 199), ids),
    st.tuples(st.just("gender"), st.integers(0, 199), genders),
    st.tuples(st.just("blank"), st.integers(0, 199), st.sampled_from([b"", b" ", b"\r"])),
    st.tuples(st.just("fields"), st.integers(0, 199), st.sampled_from([b",", b",x", b",,", b""])),
    st.tuples(
        st.just("bom"),
    ),
)


def mutate(data: bytes, step: tuple) -> bytes:
    kind, *args = step
    if kind == "flip":
        position, byte = args
        position %= max(len(data), 1)
        return data[:position] + bytes([byte]) + data[position + 1 :]
    if kind == "truncate":
        return data[: args[0]]
    if kind == "encode":
        text = data.decode("utf-8", errors="replace")
        if args[0] == "cp1252":
            return row_with(data, 3, 1, "Fémale".encode("cp1252"))
        return text.encode(args[0], errors="replace")
    if kind == "endings":
        ending, everywhere, line = args
        if everywhere:
            return data.replace(b"\n", ending)
        lines = lines_of(data)
        line %= len(lines)
        return b"\n".join(lines[:line]) + (ending if line else b"") + b"\n".join(lines[line:])
    if kind == "quote":
        row, column = args
        lines = lines_of(data)
        fields = lines[1 + row % (len(lines) - 1)].split(b",") if len(lines) > 1 else []
        if column < len(fields):
            fields[column] = b'"' + fields[column].replace(b'"', b'""') + b'"'
            lines[1 + row % (len(lines) - 1)] = b",".join(fields)
        return b"\n".join(lines)
    if kind == "stray quote":
        return row_with(data, args[0], 1, b'Fe"male')
    if kind == "delimiter":
        new, everywhere, row = args
        return data.replace(b",", new) if everywhere else change_row(data, row, lambda line: line.replace(b",", new))
    if kind == "header":
        lines = lines_of(data)
        header = {
            "drop": b"CustomerID,Gender,Age,Annual Income (k$)",
            "rename": b"CustomerID,Gender,Age,Income,Spending Score (1-100)",
            "repeat": b"CustomerID,Gender,Age,Age,Spending Score (1-100)",
            "blank": b"",
            "extra": lines[0] + b",",
            "spaces": b" customer id , GENDER,age,annual income, spending_score ",
        }[args[0]]
        return b"\n".join([header, *lines[1:]])
    if kind == "number":
        row, column, value = args
        return row_with(data, row, column, value)
    if kind == "id":
        return row_with(data, args[0], 0, args[1])
    if kind == "gender":
        return row_with(data, args[0], 1, args[1])
    if kind == "blank":
        lines = lines_of(data)
        lines.insert(2 + args[0] % 199, args[1])
        return b"\n".join(lines)
    if kind == "fields":
        lines = lines_of(data)
        row = 1 + args[0] % 200
        if row < len(lines):
            lines[row] = lines[row] + args[1] if args[1] else lines[row].rsplit(b",", 1)[0]
        return b"\n".join(lines)
    if kind == "bom":
        return codecs.BOM_UTF8 + data
    raise AssertionError(kind)


def meets_contract(data: bytes) -> bool:
    """The contract read independently: Python's csv, plain Python rules (README's input contract)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if data[:4].count(0) or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if not first.strip() or CONTROL.search(first.replace("\t", "")):
        return False
    counts = {
        d: len(next(csv.reader([first], delimiter=d))) if '"' not in first else first.count(d) + 1 for d in ",;\t"
    }
    delimiter = max(counts, key=lambda d: (counts[d], -",;\t".index(d)))
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True) if r]
    except csv.Error:
        return False
    header = [name.strip() for name in records[0]]
    try:
        found, _ = map_columns(header, {}, source="f")
    except InputFileError:
        return False
    index = {canonical: header.index(name) for canonical, name in found.items()}
    rows = records[1:]
    if not rows or any(len(r) != len(header) for r in rows):
        return False
    seen = set()
    for row in rows:
        cid = row[index["customer_id"]].strip(" ")
        gender = row[index["gender"]].strip(" ")
        if not cid or CONTROL.search(cid) or cid in seen or gender not in GENDERS:
            return False
        seen.add(cid)
        for column, low, high, whole in (
            ("age", 1, 120, True),
            ("annual_income", 0, 100_000, False),
            ("spending_score", 1, 100, True),
        ):
            value = row[index[column]].strip(" ").strip(" \t\n\r\x0b\x0c")  # as DuckDB's cast does
            if not NUMBER.fullmatch(value):
                return False
            number = float(value)
            if not (low <= number <= high) or (whole and not number.is_integer()):
                return False
    return True


def read_verdict(path: Path) -> tuple[bool, str]:
    """The real reading code, as a run uses it: (accepted, message)."""
    try:
        source = inspect_source(path)
        failures = check_rows(read_source(source))
    except InputFileError as refused:
        return False, str(refused)
    if failures.empty:
        return True, ""
    return False, validation_report(failures, source)


# Bounded so the unit lane stays in seconds (each example reads a whole Mall file through DuckDB, about
# 0.1 s): 300 examples took a minute and a half of a 2-core machine. Examples are drawn afresh on
# every run (no example database), so runs add up to the coverage one long run gave.
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_mall_files_are_read_exactly_as_the_contract_says(tmp_path: Path, steps: list[tuple]) -> None:
    data = MALL
    for step in steps:
        data = mutate(data, step)
    path = tmp_path / "mutated.csv"
    path.write_bytes(data)
    accepted, message = read_verdict(path)
    event("accepted" if accepted else "refused")
    assert accepted == meets_contract(data), (steps, message)
    if not accepted:
        assert message.startswith(str(path)), message
        assert re.search(r"line \d+|header|the file is", message), message


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_the_mall_file_itself_meets_the_contract_with_any_line_ending(tmp_path: Path, ending: bytes) -> None:
    path = tmp_path / "mall.csv"
    path.write_bytes(MALL.replace(b"\n", ending))
    assert read_verdict(path) == (True, "")
    assert meets_contract(path.read_bytes())
