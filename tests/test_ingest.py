from __future__ import annotations

from pathlib import Path

import pytest

from tasks.errors import InputFileError
from tasks.ingest import load_raw, map_header, read_header
from tests.conftest import HEADER, query, write_csv
from warehouse import connect


def test_header_maps_by_name_in_any_order_with_kaggle_spelling_and_extras() -> None:
    header = map_header(
        ["Spending Score (1-100)", "Genre", "Loyalty", "CustomerID", "Age", "Annual Income (k$)"], source="f"
    )
    assert list(header.reader_columns) == [
        "spending_score",
        "gender",
        "extra_2",
        "customer_id",
        "age",
        "annual_income",
    ]
    assert header.extra_columns == ("Loyalty",)


def test_missing_column_is_named_with_the_header_found() -> None:
    with pytest.raises(InputFileError, match=r"f\.csv: missing required column\(s\) \['Age'\]"):
        map_header(["CustomerID", "Gender", "Annual Income (k$)", "Spending Score (1-100)"], source="f.csv")


def test_two_spellings_of_one_column_are_refused() -> None:
    with pytest.raises(InputFileError, match="'Gender' and 'Genre' both give gender"):
        map_header(["CustomerID", "Gender", "Genre", "Age"], source="f.csv")


def test_read_header_accepts_bom_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeff"CustomerID",Gender,Age,"Annual Income (k$)",Spending Score (1-100)\n'.encode())
    assert read_header(path) == HEADER.split(",")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        ("CustomerID,G\xe9nero\n".encode("latin-1"), "line 1 is not UTF-8 text"),
    ],
)
def test_read_header_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_header(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_header(tmp_path / "nope.csv")


def _load(db: Path, path: Path) -> int:
    header = map_header(read_header(path), source=str(path))
    with connect(db) as con:
        return load_raw(con, run_id="r1", path=path, header=header)


def test_load_keeps_text_and_line_numbers_and_quoted_commas(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "q.csv", ["1,Male,19,15,39", '2,"Female",21,"15",81'])
    assert _load(db, path) == 2
    rows = query(db, "SELECT source_line, customer_id, gender, annual_income FROM raw_customers ORDER BY 1")
    assert rows.values.tolist() == [[2, "1", "Male", "15"], [3, "2", "Female", "15"]]


def test_path_with_quote_and_semicolon_loads_as_a_plain_path(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "it's; DROP TABLE runs; --"
    folder.mkdir()
    path = write_csv(folder / "c'1;.csv", ["1,Male,19,15,39"])
    assert _load(db, path) == 1
    assert query(db, "SELECT count(*) AS n FROM runs")["n"].item() == 0  # the table is still there


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["1,Male,19,15,39", "2,Male,21,15,81,7"], "line 3 has 6 fields where the header has 5"),
        (["1,Male,19,15,39", "2,Male"], "line 3 has 2 fields where the header has 5"),
    ],
)
def test_ragged_rows_name_the_line(db: Path, tmp_path: Path, lines: list[str], message: str) -> None:
    path = write_csv(tmp_path / "ragged.csv", lines)
    with pytest.raises(InputFileError, match=message):
        _load(db, path)
    assert query(db, "SELECT count(*) AS n FROM raw_customers")["n"].item() == 0


def test_non_utf8_body_names_the_line(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "latin.csv", ["1,Male,19,15,39", "2,Fémale,21,15,81"], encoding="latin-1")
    with pytest.raises(InputFileError, match=r"line 3 is not UTF-8 text"):
        _load(db, path)
