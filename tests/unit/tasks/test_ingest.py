"""Ingest: reading a customer table into typed rows, each with its line in the file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from segmentation.errors import InputFileError
from segmentation.source import inspect_source
from tasks.ingest import read_source
from tasks.validate import check_rows
from tasks.validate import report as validation_report
from tests.helpers import HEADER, MALL_CSV, write_csv


def test_read_keeps_lines_and_trims_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "q.csv", ["1,Male,19,15,39", '" C-2 ","Female",21,"15",81'])
    ingested = read_source(inspect_source(path))
    rows = ingested.table.select(["source_line", "customer_id", "gender", "annual_income"]).to_pylist()
    assert rows == [
        {"source_line": 2, "customer_id": "1", "gender": "Male", "annual_income": 15.0},
        {"source_line": 3, "customer_id": "C-2", "gender": "Female", "annual_income": 15.0},
    ]
    assert ingested.unparsed_rows == 0


def test_semicolon_and_parquet_sources_read_the_same_rows(tmp_path: Path) -> None:
    lines = ["1,Male,19,15,39", "2,Female,21,16,81"]
    comma = read_source(inspect_source(write_csv(tmp_path / "c.csv", lines))).table
    semi = write_csv(tmp_path / "s.csv", [line.replace(",", ";") for line in lines], header=HEADER.replace(",", ";"))
    source = inspect_source(semi)
    assert source.delimiter == ";"
    assert read_source(source).table.equals(comma)
    pd.read_csv(tmp_path / "c.csv").to_parquet(tmp_path / "c.parquet")
    parquet = read_source(inspect_source(tmp_path / "c.parquet")).table
    assert parquet.drop_columns("source_line").equals(comma.drop_columns("source_line"))
    assert parquet.column("source_line").to_pylist() == [1, 2]


def test_path_with_quote_and_semicolon_reads_as_a_plain_path(tmp_path: Path) -> None:
    folder = tmp_path / "it's; DROP TABLE runs; --"
    folder.mkdir()
    path = write_csv(folder / "c'1;.csv", ["1,Male,19,15,39"])
    assert read_source(inspect_source(path)).n_rows == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["1,Male,19,15,39", "2,Male,21,15,81,7"], "line 3 has 6 fields where the header has 5"),
        (["1,Male,19,15,39", "2,Male"], "line 3 has 2 fields where the header has 5"),
    ],
)
def test_ragged_rows_name_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        read_source(inspect_source(write_csv(tmp_path / "ragged.csv", lines)))


def test_non_utf8_body_names_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "latin.csv", ["1,Male,19,15,39", "2,Fémale,21,15,81"], encoding="latin-1")
    with pytest.raises(InputFileError, match=r"line 3 is not UTF-8 text"):
        read_source(inspect_source(path))


def test_header_only_has_no_data_rows(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="the header is there but there are no data rows"):
        read_source(inspect_source(write_csv(tmp_path / "h.csv", [])))


# The contract on every byte (issue 19): each case below failed before the byte-level reading.
MALL_LINES = MALL_CSV.read_bytes().splitlines()


def mall_with(lines: list[bytes], *, ending: bytes = b"\n") -> bytes:
    return ending.join(lines) + ending


def failures_of(path: Path) -> pd.DataFrame:
    return check_rows(read_source(inspect_source(path)))


@pytest.mark.parametrize(
    "content",
    [
        mall_with(MALL_LINES, ending=b"\r"),  # old Mac, some Excel exports: crashed detect_delimiter
        mall_with(MALL_LINES, ending=b"\r\n"),
        MALL_LINES[0] + b"\r\n" + mall_with(MALL_LINES[1:]),  # CRLF header, LF rows: DuckDB refuses
        mall_with(MALL_LINES[:10]) + mall_with(MALL_LINES[10:11], ending=b"\r\n") + mall_with(MALL_LINES[11:]),
        b'"CustomerID","Gender","Age\r","Annual Income (k$)","Spending Score (1-100)"\n' + mall_with(MALL_LINES[1:]),
    ],
    ids=["CR", "CRLF", "CRLF header", "one CRLF line", "CR inside the header"],
)
def test_any_line_endings_read_as_the_same_rows(tmp_path: Path, content: bytes) -> None:
    expected = read_source(inspect_source(MALL_CSV)).table
    path = tmp_path / "endings.csv"
    path.write_bytes(content)
    table = read_source(inspect_source(path)).table
    assert table.num_rows == 200
    assert table.drop_columns("source_line").equals(expected.drop_columns("source_line"))
    first = 3 if b'"Age\r"' in content else 2  # an editor shows that CR as a line break
    assert table.column("source_line").to_pylist() == list(range(first, first + 200))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (b"5,Female,31,17,40,", "line 6 has 6 fields where the header has 5: '5,Female,31,17,40,'"),
        (b",".join([b"1"] * 25), "line 6 has 25 fields where the header has 5"),
        (b"5,Female", "line 6 has 2 fields where the header has 5"),
        (b'5,"Female,31,17,40', "line 6: a quoted field opens here and never closes"),
    ],
    ids=["trailing empty field", "25 fields", "2 fields", "unclosed quote"],
)
def test_a_malformed_row_is_named_with_its_line_and_real_field_count(tmp_path: Path, row: bytes, message: str) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(mall_with([*MALL_LINES[:5], row, *MALL_LINES[6:]]))
    with pytest.raises(InputFileError) as caught:
        read_source(inspect_source(path))
    assert str(caught.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    ("before", "line"),
    [([b""], 7), ([b'"4', b'x",Female,23,16,77'], 8), ([b"", b"", b'"a\r\nb",Male,20,20,20'], 10)],
    ids=["blank line", "quoted line break", "blank lines and a quoted CRLF"],
)
def test_lines_are_those_an_editor_shows(tmp_path: Path, before: list[bytes], line: int) -> None:
    path = tmp_path / "lines.csv"
    bad = b"5,Female,31,17,400"
    path.write_bytes(mall_with([*MALL_LINES[:5], *before, bad, *MALL_LINES[6:]]))
    failures = failures_of(path)
    score = failures[failures["column_name"] == "spending_score"]
    assert score[["failure_case", "source_line"]].values.tolist() == [["400", line]]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("1_000", False), ('"1,000"', False), ("1e1", True), (" 42 ", True), ("+42", True), ("4.2e1", True)],
)
def test_numbers_as_people_write_them(tmp_path: Path, value: str, accepted: bool) -> None:
    path = tmp_path / "numbers.csv"
    path.write_bytes(mall_with([*MALL_LINES[:5], f"5,Female,31,{value},40".encode(), *MALL_LINES[6:]]))
    failures = failures_of(path)
    assert failures.empty == accepted, failures
    if not accepted:
        assert failures[["column_name", "check_name", "source_line"]].values.tolist() == [
            ["annual_income", "is a number", 6]
        ]


def test_text_outside_utf8_is_refused_in_a_column_outside_the_contract(tmp_path: Path) -> None:
    rows = [MALL_LINES[0] + b",Note", *(line + b",ok" for line in MALL_LINES[1:])]
    rows[7] = MALL_LINES[7] + b",caf\xe9"  # cp1252
    path = tmp_path / "note.csv"
    path.write_bytes(mall_with(rows))
    with pytest.raises(InputFileError, match=r"line 8 is not UTF-8 text \(byte 0xe9, byte 21 of the line"):
        read_source(inspect_source(path))


@pytest.mark.parametrize("value", [b"1\x005", b"7\x01", b"a\tb"])
def test_control_characters_in_an_id_are_refused(tmp_path: Path, value: bytes) -> None:
    path = tmp_path / "ids.csv"
    path.write_bytes(mall_with([*MALL_LINES[:5], value + b",Female,31,17,40", *MALL_LINES[6:]]))
    failures = failures_of(path)
    assert failures[["column_name", "check_name", "source_line"]].values.tolist() == [
        ["customer_id", "no control characters", 6]
    ]


def test_a_file_name_that_is_not_utf8_is_read_and_named(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.csv")
    path = tmp_path / name
    path.write_bytes(mall_with([*MALL_LINES[:5], b"5,Female,31,17,400", *MALL_LINES[6:]]))
    source = inspect_source(path)
    report = validation_report(check_rows(read_source(source)), source)
    assert report.startswith(f"{tmp_path}/caf\\xe9.csv: 1 value(s) in 1 row(s)")
    path.write_bytes(mall_with([*MALL_LINES[:5], b"5,Female", *MALL_LINES[6:]]))
    with pytest.raises(InputFileError, match=r"caf\\xe9\.csv: line 6 has 2 fields"):
        read_source(inspect_source(path))


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (
            "CSV Error on Line: 7\nOriginal Line: 5,Male,1,2,3,4\nExpected Number of Columns: 5 Found: 6",
            "f.csv: line 7 has 6 fields where the header has 5: '5,Male,1,2,3,4'",
        ),
        (
            "Invalid Input Error: CSV Error on Line: 3\nInvalid unicode (byte sequence mismatch)",
            "f.csv: line 3 is not UTF-8 text",
        ),
        (
            "Conversion Error: something odd\nmore detail",
            "f.csv: cannot be read as CSV (Conversion Error: something odd)",
        ),
    ],
)
def test_duckdb_csv_errors_are_said_in_one_line_naming_file_and_line(message: str, said: str) -> None:
    import duckdb

    from tasks.ingest import describe_csv_error

    assert describe_csv_error(duckdb.Error(message), source="f.csv").startswith(said)
