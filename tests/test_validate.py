from __future__ import annotations

import pandas as pd
import pytest

from tasks.validate import failure_report, parse_numbers, validate_frame


def raw(rows: list[tuple[str | None, ...]], first_line: int = 2) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "gender", "age", "annual_income", "spending_score"])
    frame.index = pd.Index(range(first_line, first_line + len(rows)), name="source_line")
    return frame


def test_valid_rows_come_back_typed() -> None:
    valid, failures = validate_frame(raw([("1", "Male", "19", "15", "39"), ("2", "Female", " 21 ", "15.5", "81")]))
    assert failures.empty
    assert valid["age"].tolist() == [19, 21]
    assert valid["annual_income"].tolist() == [15.0, 15.5]
    assert str(valid["customer_id"].dtype) == "int64"
    assert valid.index.tolist() == [2, 3]


def test_parse_numbers_reports_text_and_fractions_once_per_cell() -> None:
    parsed, failures = parse_numbers(raw([("x", "Male", "5.5", "abc", "7")]))
    assert sorted(zip(failures["column_name"], failures["check_name"], failures["failure_case"], strict=True)) == [
        ("age", "is a whole number", "5.5"),
        ("annual_income", "is a number", "abc"),
        ("customer_id", "is a whole number", "x"),
    ]
    assert parsed["age"].isna().all()


@pytest.mark.parametrize(
    ("row", "column", "check"),
    [
        (("0", "Male", "19", "15", "39"), "customer_id", "greater_than(0)"),
        (("1", "male", "19", "15", "39"), "gender", "isin(['Female', 'Male'])"),
        (("1", "Male", "0", "15", "39"), "age", "greater_than_or_equal_to(1)"),
        (("1", "Male", "121", "15", "39"), "age", "less_than_or_equal_to(120)"),
        (("1", "Male", "19", "-1", "39"), "annual_income", "greater_than_or_equal_to(0)"),
        (("1", "Male", "19", "15", "0"), "spending_score", "greater_than_or_equal_to(1)"),
        (("1", "Male", "19", "15", "101"), "spending_score", "less_than_or_equal_to(100)"),
        (("1", None, "19", "15", "39"), "gender", "not_nullable"),
        (("1", "Male", None, "15", "39"), "age", "not_nullable"),
    ],
)
def test_each_check_names_column_check_and_line(row, column: str, check: str) -> None:
    _, failures = validate_frame(raw([("9", "Female", "30", "20", "50"), row]))
    assert failures[["column_name", "check_name", "source_line"]].values.tolist() == [[column, check, 3]]


def test_all_failures_are_collected_at_once() -> None:
    rows = [
        ("1", "Male", "19", "15", "39"),
        ("2", "Female", "20", "16", "101"),  # line 3: score out of range
        ("2", "male", "abc", "17", "5"),  # line 4: duplicate id, gender, age
        (None, "Male", "20", "-1", "5"),  # line 5: null id, income
    ]
    _, failures = validate_frame(raw(rows))
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


def test_report_groups_by_column_and_check_with_lines_and_counts() -> None:
    rows = [("1", "Male", "19", "15", str(100 + i)) for i in range(1, 8)]
    rows = [(str(i), g, a, inc, s) for i, (_, g, a, inc, s) in enumerate(rows, start=1)]
    _, failures = validate_frame(raw(rows))
    report = failure_report(failures, source="in.csv", shown=3)
    assert report.splitlines()[0].startswith("in.csv: 7 value(s) in 7 row(s) break the input contract")
    assert (
        "Spending Score (1-100) · less_than_or_equal_to(100): 7 failing: "
        "'101' (line 2), '102' (line 3), '103' (line 4), and 4 more"
    ) in report
