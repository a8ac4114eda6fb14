"""Reading a source's header: names mapped to the contract, delimiters, encodings, hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from segmentation.errors import InputFileError
from segmentation.source import (
    detect_delimiter,
    inspect_orders,
    inspect_source,
    map_columns,
    parse_column_map,
    parse_delimiter,
)
from tests.helpers import MALL_CSV


def write(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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


def test_a_header_with_a_bare_cr_does_not_crash_delimiter_detection() -> None:
    assert detect_delimiter("CustomerID,Gender\rAge") == ","


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_are_recognised_from_the_header_alone(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(MALL_CSV.read_text().encode(encoding))
    with pytest.raises(
        InputFileError, match=r"the file is UTF-(16|32) \(\w+-endian\) text, not UTF-8; save it as UTF-8"
    ):
        inspect_source(path)


def test_header_without_dates_or_amount_gets_hints(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing required column\(s\) \['order_date'\].*\n.*hint"):
        inspect_orders(write(tmp_path, "customer_id,when,amount\na,2026-01-01,1\n"), columns=None, delimiter=None)
    with pytest.raises(InputFileError, match=r"no amount column.*\n.*--columns"):
        inspect_orders(write(tmp_path, "customer_id,order_date,cost\na,2026-01-01,1\n"), columns=None, delimiter=None)
    mapped = inspect_orders(
        write(tmp_path, "customer_id,when,cost\na,2026-01-01,1\n"),
        columns={"order_date": "when", "amount": "cost"},
        delimiter=None,
    )
    assert mapped.columns == {"customer_id": "customer_id", "order_date": "when", "amount": "cost"}


def test_columns_aligned_with_spaces_get_a_plain_hint(tmp_path: Path) -> None:
    text = " customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n"
    with pytest.raises(InputFileError, match=r"aligned with spaces cannot be read; save the file as CSV") as caught:
        inspect_orders(write(tmp_path, text), columns=None, delimiter=None)
    assert "did you mean" not in str(caught.value)
