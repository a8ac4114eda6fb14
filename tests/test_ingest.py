from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tasks.errors import InputFileError
from tasks.ingest import read_source
from tasks.source import detect_delimiter, inspect_source, map_columns, parse_column_map, parse_delimiter
from tests.conftest import HEADER, write_csv

CONTRACT = ["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]


def test_header_maps_by_name_in_any_order_with_kaggle_spelling_and_extras() -> None:
    found, extra = map_columns(
        ["Spending Score (1-100)", "Genre", "Loyalty", "CustomerID", "Age", "Annual Income (k$)"], {}, source="f"
    )
    assert found == {
        "customer_id": "CustomerID",
        "gender": "Genre",
        "age": "Age",
        "annual_income": "Annual Income (k$)",
        "spending_score": "Spending Score (1-100)",
    }
    assert extra == ("Loyalty",)


@pytest.mark.parametrize(
    "header",
    [
        ["customer_id", "gender", "age", "annual_income", "spending_score"],
        ["Customer Id", "GENDER", "age ", "Annual income", "Spending_Score"],
        ["customerid", "genre", "Age", "annual income (k$)", "spending score (1-100)"],
    ],
)
def test_canonical_and_documented_names_match_whatever_their_case_and_spacing(header: list[str]) -> None:
    found, extra = map_columns(header, {}, source="f")
    assert list(found) == ["customer_id", "gender", "age", "annual_income", "spending_score"]
    assert extra == ()


def test_an_explicit_mapping_names_the_other_columns() -> None:
    mapping = parse_column_map("customer_id=Customer Id,annual_income='Income',Spending Score=Score")
    assert mapping == {"customer_id": "Customer Id", "annual_income": "Income", "spending_score": "Score"}
    found, _ = map_columns(["Customer Id", "Gender", "Age", "Income", "Score"], mapping, source="f")
    assert found["annual_income"] == "Income"
    assert found["spending_score"] == "Score"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("customer_id", "is not COLUMN=HEADER"),
        ("height=H", "'height' is not a column of the contract"),
        ("age=A,Age=B", "age is mapped twice"),
    ],
)
def test_bad_mappings_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_column_map(text)


def test_missing_column_is_named_with_the_header_found_and_a_hint() -> None:
    with pytest.raises(InputFileError) as caught:
        map_columns(["CustomerID", "Gender", "Income", "Spending Score (1-100)", "Agee"], {}, source="f.csv")
    message = str(caught.value)
    assert message.startswith("f.csv: missing required column(s) ['Age', 'Annual Income (k$)']")
    assert "hint: did you mean 'Agee' for 'Age'? map it with --columns \"age=Agee\"" in message
    assert "hint: did you mean 'Income' for 'Annual Income (k$)'?" in message


def test_a_semicolon_header_read_with_commas_gets_a_hint() -> None:
    with pytest.raises(InputFileError, match="the header looks semicolon-separated; give --delimiter semicolon"):
        map_columns([";".join(CONTRACT)], {}, source="f.csv", delimiter=",")


def test_two_spellings_of_one_column_are_refused() -> None:
    with pytest.raises(InputFileError, match="'Gender' and 'Genre' both give gender; keep one"):
        map_columns(["CustomerID", "Gender", "Genre", "Age"], {}, source="f.csv")


def test_a_repeated_header_is_refused() -> None:
    with pytest.raises(InputFileError, match=r"names \['Age'\] more than once"):
        map_columns([*CONTRACT, "Age"], {}, source="f.csv")


@pytest.mark.parametrize(("line", "delimiter"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("abc", ",")])
def test_delimiter_detected_from_the_header(line: str, delimiter: str) -> None:
    assert detect_delimiter(line) == delimiter


def test_delimiter_names() -> None:
    assert [parse_delimiter(t) for t in ("comma", ";", "TAB", "\\t", None)] == [",", ";", "\t", "\t", None]
    with pytest.raises(ValueError, match="not one of: comma"):
        parse_delimiter("|")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        ("CustomerID,G\xe9nero\n".encode("latin-1"), "line 1 is not UTF-8 text"),
    ],
)
def test_header_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        inspect_source(path)


def test_missing_file_and_folder_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.csv: no such file"):
        inspect_source(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a folder, not a file"):
        inspect_source(tmp_path)


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
