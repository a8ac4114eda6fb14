"""Every kind of bad input: a clear message naming file, column, check or line; exit 1; a failed
run row; nothing published. And the odd-but-valid files that must be accepted."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from segmentation.sample import generate_customers
from tests.helpers import HEADER, cli_error, invoke, query

Maker = Callable[[Path], Path]


def customers(n: int = 40) -> pd.DataFrame:
    return generate_customers(n, seed=7)


def csv_of(frame: pd.DataFrame) -> Maker:
    def make(path: Path) -> Path:
        frame.to_csv(path, index=False)
        return path

    return make


def raw_bytes(content: bytes) -> Maker:
    def make(path: Path) -> Path:
        path.write_bytes(content)
        return path

    return make


def with_cell(row: int, column: str, value: object) -> pd.DataFrame:
    frame = customers().astype(object)
    frame.loc[row, column] = value
    return frame


def good_lines() -> list[str]:
    return customers().to_csv(index=False).splitlines()


# Found by the command before anything runs (no run is recorded, no warehouse is created).
# Refused before Prefect starts (issue 18: k that the rows cannot fill is one of them), so no warehouse is made.
BEFORE_THE_RUN = {"missing column", "empty file", "utf-16 without a bom", "utf-32", "fewer rows than smallest k"}
BAD_INPUTS: dict[str, tuple[Maker, list[str]]] = {
    "missing column": (
        csv_of(customers().drop(columns=["Age"])),
        ["missing required column(s) ['Age']", "the header has ['CustomerID', 'Gender'"],
    ),
    "wrong type": (
        csv_of(with_cell(4, "Age", "forty")),
        ["Age · is a whole number: 1 failing: 'forty' (line 6)"],
    ),
    "out of range": (
        csv_of(with_cell(0, "Spending Score (1-100)", 140)),
        ["Spending Score (1-100) · less_than_or_equal_to(100): 1 failing: '140' (line 2)"],
    ),
    "duplicate ids": (
        csv_of(with_cell(9, "CustomerID", 3)),
        ["CustomerID · field_uniqueness: 2 failing: '3' (line 4), '3' (line 11)"],
    ),
    "unknown gender": (
        csv_of(with_cell(2, "Gender", "F")),
        ["Gender · isin(['Female', 'Male']): 1 failing: 'F' (line 4)"],
    ),
    "nulls": (
        csv_of(with_cell(7, "Annual Income (k$)", None)),
        ["Annual Income (k$) · not_nullable: 1 failing: <empty> (line 9)"],
    ),
    "ragged row": (
        raw_bytes(("\n".join([*good_lines()[:3], "99,Male,30,40,50,extra", *good_lines()[3:]]) + "\n").encode()),
        ["line 4 has 6 fields where the header has 5", "'99,Male,30,40,50,extra'"],
    ),
    "empty file": (raw_bytes(b""), ["the file is empty"]),
    "header only": (raw_bytes((HEADER + "\n").encode()), ["the header is there but there are no data rows"]),
    "not utf-8": (
        raw_bytes(("\n".join([*good_lines()[:5], "77,Fémale,30,40,50"]) + "\n").encode("latin-1")),
        ["line 6 is not UTF-8 text"],
    ),
    "trailing empty field": (
        raw_bytes(("\n".join([*good_lines()[:3], "99,Male,30,40,50,", *good_lines()[3:]]) + "\n").encode()),
        ["line 4 has 6 fields where the header has 5: '99,Male,30,40,50,'", "one field too many"],
    ),
    "25 fields after a blank line": (
        raw_bytes(("\n".join([*good_lines()[:3], "", ",".join(["9"] * 25), *good_lines()[3:]]) + "\n").encode()),
        ["line 5 has 25 fields where the header has 5"],
    ),
    "thousands with an underscore": (
        csv_of(with_cell(4, "Annual Income (k$)", "1_000")),
        ["Annual Income (k$) · is a number: 1 failing: '1_000' (line 6)", "hint: write numbers without separators"],
    ),
    "nul in an id": (
        csv_of(with_cell(4, "CustomerID", "1\x005")),
        ["CustomerID · no control characters: 1 failing: '1\\x005' (line 6)"],
    ),
    "not utf-8 outside the contract": (
        raw_bytes(
            (
                "\n".join(
                    [
                        good_lines()[0] + ",Note",
                        *(line + ",ok" for line in good_lines()[1:5]),
                        good_lines()[5] + ",caf\xe9",
                    ]
                )
                + "\n"
            ).encode("cp1252")
        ),
        ["line 6 is not UTF-8 text (byte 0xe9"],
    ),
    "utf-16 without a bom": (
        raw_bytes(customers().to_csv(index=False).encode("utf-16-le")),
        ["the file is UTF-16 (little-endian) text, not UTF-8; save it as UTF-8"],
    ),
    "utf-32": (
        raw_bytes(customers().to_csv(index=False).encode("utf-32")),
        ["the file is UTF-32 (little-endian) text, not UTF-8"],
    ),
    "fewer rows than smallest k": (
        csv_of(customers(2)),
        ["2 customer(s) cannot be split into 2 or more segments"],
    ),
    "zero variance": (
        csv_of(customers().assign(**{"Annual Income (k$)": 50})),
        ["zero variance", "every row has the same value (Annual Income (k$) = 50)"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_clearly_and_publishes_nothing(case: str, workdir: Path, db: Path) -> None:
    make, messages = BAD_INPUTS[case]
    source = make(workdir / "customers.csv")
    result = invoke("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 1, result.output
    error = cli_error(result.stderr)
    assert "Traceback" not in result.output
    for message in messages:
        assert message in error
    assert str(source) in error
    if case in BEFORE_THE_RUN:
        assert not db.exists()
        return
    runs = query(db, "SELECT status, error FROM runs")
    assert runs["status"].tolist() == ["failed"]
    assert messages[0] in runs["error"].iloc[0]
    for table in ("customer_segments", "segment_profiles", "k_selection", "current_segments"):
        assert query(db, f"SELECT count(*) AS n FROM {table}")["n"].item() == 0, table  # noqa: S608


def test_missing_file_is_named(workdir: Path, db: Path) -> None:
    result = invoke("run", "--source", str(workdir / "nope.csv"), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 1
    assert cli_error(result.stderr) == f"error: {workdir / 'nope.csv'}: no such file"


def test_validation_failures_are_stored_per_value(workdir: Path, db: Path) -> None:
    frame = with_cell(4, "Age", "forty")
    frame.loc[6, "Gender"] = "X"
    source = csv_of(frame)(workdir / "c.csv")
    invoke("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
    stored = query(db, "SELECT column_name, check_name, failure_case, source_line FROM validation_failures ORDER BY 4")
    assert stored.values.tolist() == [
        ["age", "is a whole number", "forty", 6],
        ["gender", "isin(['Female', 'Male'])", "X", 8],
    ]


def test_odd_but_valid_files_are_accepted(workdir: Path, db: Path) -> None:
    frame = customers()
    reordered = frame[["Spending Score (1-100)", "Age", "Gender", "CustomerID", "Annual Income (k$)"]]
    reordered = reordered.rename(columns={"Gender": "Genre"}).assign(Store="North, East")
    text = reordered.to_csv(index=False, quoting=1)  # every field quoted; "North, East" holds a comma
    source = workdir / "odd.csv"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = invoke("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 0, result.output
    run = query(db, "SELECT status, n_rows, extra_columns FROM runs").iloc[0]
    assert (run.status, run.n_rows, run.extra_columns) == ("succeeded", 40, "Store")
    stored = query(db, "SELECT customer_id, customer_id_int FROM current_segments ORDER BY customer_id_int")
    assert stored["customer_id"].tolist() == frame["CustomerID"].astype(str).tolist()
    assert stored["customer_id_int"].tolist() == frame["CustomerID"].tolist()


@pytest.mark.parametrize("layout", ["CR", "CRLF header, LF rows"])
def test_line_endings_a_spreadsheet_writes_are_accepted(layout: str, workdir: Path, db: Path) -> None:
    lines = good_lines()
    text = "\r".join(lines) + "\r" if layout == "CR" else lines[0] + "\r\n" + "\n".join(lines[1:]) + "\n"
    source = raw_bytes(text.encode())(workdir / "endings.csv")
    result = invoke("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT status, n_rows FROM runs").values.tolist() == [["succeeded", 40]]


def test_a_file_name_that_is_not_utf8_is_read_recorded_and_named(workdir: Path, db: Path) -> None:
    source = workdir / os.fsdecode(b"caf\xe9.csv")
    csv_of(customers())(source)
    result = invoke("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT source_path FROM runs")["source_path"].item() == f"{workdir}/caf\\xe9.csv"
    csv_of(with_cell(4, "Age", "forty"))(source)
    result = invoke("run", "--source", str(source), "--period", "2026Q2", "--db", str(db))
    assert result.exit_code == 1
    assert cli_error(result.stderr).startswith(f"error: {workdir}/caf\\xe9.csv: 1 value(s) in 1 row(s)")
