from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from schemas.columns import CANONICAL_HEADERS
from segmentation.failures import failure_report
from segmentation.source import inspect_source
from tasks.ingest import read_source
from tasks.validate import check_rows
from tasks.validate import report as validation_report
from tests.helpers import write_csv

Row = tuple[str | None, ...]


def checked(tmp_path: Path, rows: list[Row]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write rows as a CSV, read and type them as ingest does; return the typed rows and failures."""
    lines = [",".join("" if v is None else v for v in row) for row in rows]
    ingested = read_source(inspect_source(write_csv(tmp_path / "c.csv", lines)))
    return ingested.table.to_pandas(), check_rows(ingested)


def test_valid_rows_come_back_typed(tmp_path: Path) -> None:
    valid, failures = checked(tmp_path, [("1", "Male", "19", "15", "39"), ("C-2", "Female", " 21 ", "15.5", "81.0")])
    assert failures.empty
    assert valid["age"].tolist() == [19, 21]
    assert valid["spending_score"].tolist() == [39, 81]
    assert valid["annual_income"].tolist() == [15.0, 15.5]
    assert valid["customer_id"].tolist() == ["1", "C-2"]
    assert valid["source_line"].tolist() == [2, 3]


def test_unparsable_numbers_are_reported_once_per_cell(tmp_path: Path) -> None:
    _, failures = checked(tmp_path, [("x", "Male", "5.5", "abc", "7"), ("y", "Male", "inf", "1e400", "nan")])
    assert failures[["column_name", "check_name", "failure_case", "source_line"]].values.tolist() == [
        ["age", "is a whole number", "5.5", 2],
        ["annual_income", "is a number", "abc", 2],
        ["age", "is a whole number", "inf", 3],
        ["annual_income", "is a number", "1e400", 3],
        ["spending_score", "is a whole number", "nan", 3],
    ]


@pytest.mark.parametrize(
    ("row", "column", "check"),
    [
        (("1", "male", "19", "15", "39"), "gender", "isin(['Female', 'Male'])"),
        (("1", "Male", "0", "15", "39"), "age", "greater_than_or_equal_to(1)"),
        (("1", "Male", "121", "15", "39"), "age", "less_than_or_equal_to(120)"),
        (("1", "Male", "19", "-1", "39"), "annual_income", "greater_than_or_equal_to(0)"),
        (("1", "Male", "19", "15", "0"), "spending_score", "greater_than_or_equal_to(1)"),
        (("1", "Male", "19", "15", "101"), "spending_score", "less_than_or_equal_to(100)"),
        (("1", None, "19", "15", "39"), "gender", "not_nullable"),
        (("1", "Male", None, "15", "39"), "age", "not_nullable"),
        ((" ", "Male", "19", "15", "39"), "customer_id", "not_nullable"),
        (("9", "Male", "19", "15", "39"), "customer_id", "field_uniqueness"),
    ],
)
def test_each_check_names_column_check_and_line(tmp_path: Path, row: Row, column: str, check: str) -> None:
    _, failures = checked(tmp_path, [("9", "Female", "30", "20", "50"), row])
    got = failures[["column_name", "check_name", "source_line"]].values.tolist()
    assert got[-1] == [column, check, 3]
    assert len(got) == (2 if check == "field_uniqueness" else 1)


def test_all_failures_are_collected_at_once(tmp_path: Path) -> None:
    rows = [
        ("1", "Male", "19", "15", "39"),
        ("2", "Female", "20", "16", "101"),  # line 3: score out of range
        ("2", "male", "abc", "17", "5"),  # line 4: duplicate id, gender, age
        (None, "Male", "20", "-1", "5"),  # line 5: null id, income
    ]
    _, failures = checked(tmp_path, rows)
    got = set(zip(failures["column_name"], failures["check_name"], failures["source_line"], strict=True))
    assert got == {
        ("spending_score", "less_than_or_equal_to(100)", 3),
        ("customer_id", "field_uniqueness", 3),
        ("customer_id", "field_uniqueness", 4),
        ("gender", "isin(['Female', 'Male'])", 4),
        ("age", "is a whole number", 4),
        ("customer_id", "not_nullable", 5),
        ("annual_income", "greater_than_or_equal_to(0)", 5),
    }


def test_report_groups_by_column_and_check_with_lines_and_counts(tmp_path: Path) -> None:
    rows = [(str(i), "Male", "19", "15", str(100 + i)) for i in range(1, 8)]
    _, failures = checked(tmp_path, rows)
    report = failure_report(failures, source="in.csv", headers=CANONICAL_HEADERS, shown=3)
    assert report.splitlines()[0].startswith("in.csv: 7 value(s) in 7 row(s) break the input contract")
    assert (
        "Spending Score (1-100) · less_than_or_equal_to(100): 7 failing: "
        "'101' (line 2), '102' (line 3), '103' (line 4), and 4 more"
    ) in report


def test_report_uses_the_sources_own_header_and_parquet_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b"], "Gender": ["Female", "F"], "Age": [30, 40], "Income": [10.0, 20.0], "Score": [5, 6]}
    )
    frame.to_parquet(tmp_path / "c.parquet")
    source = inspect_source(
        tmp_path / "c.parquet", columns={"customer_id": "id", "annual_income": "Income", "spending_score": "Score"}
    )
    report = validation_report(check_rows(read_source(source)), source)
    assert "(rows count from 1)" in report
    assert "Gender · isin(['Female', 'Male']): 1 failing: 'F' (row 2)" in report
