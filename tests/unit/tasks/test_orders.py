"""Order histories: reading, checking and point-in-time features, on tiny files with hand-computed answers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from segmentation.errors import DataError, InputFileError, ValidationFailed
from segmentation.periods import Period
from segmentation.source import inspect_orders
from tasks.orders import choose_date_format, lookback_start, period_features, read_attributes, read_orders

# c1: order A1 of two lines (100 + 50) on 2025-12-01, a return A2 (-20) on 2026-02-10.
# c2: a first order in 2024 (before the window), one on the period's last day (a timestamp).
# c3: only an order after the period's end. c4: only an order older than the window.
ORDERS = """order_id,customer_id,order_date,amount
A1,c1,2025-12-01,100
A1,c1,2025-12-01,50
A2,c1,2026-02-10,-20
A3,c2,2024-01-05,30
A4,c2,2026-03-31 10:00:00,10
A5,c3,2026-04-02,99
A6,c4,2024-12-31,5
"""
Q1 = Period.parse("2026Q1")


def write(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def features_of(path: Path, period: Period = Q1, *, months: int = 12, date_format: str | None = None) -> dict:
    source = inspect_orders(path, columns=None, delimiter=None)
    history = read_orders(source, date_format=date_format)
    try:
        table, facts = period_features(history, period, lookback_months=months)
    finally:
        history.remove()
    rows = {r["customer_id"]: r for r in table.to_pylist()}
    return {"rows": rows, "facts": facts, "lines": history.n_rows, "date_format": history.date_format}


def test_features_as_of_the_period_end_by_hand(tmp_path: Path) -> None:
    result = features_of(write(tmp_path, ORDERS))
    rows, facts = result["rows"], result["facts"]
    assert set(rows) == {"c1", "c2"}  # c3 ordered after the end, c4 only before the window
    # Two lines of one order are one order; the return is netted, not an order, not recency.
    assert rows["c1"] == {
        "customer_id": "c1",
        "recency_days": 120,  # 2025-12-01 -> 2026-03-31
        "frequency": 1,
        "monetary": 130.0,
        "avg_order_value": 130.0,
        "tenure_days": 120,
    }
    assert rows["c2"]["recency_days"] == 0  # a timestamp on the last day counts as that day
    assert (rows["c2"]["frequency"], rows["c2"]["monetary"]) == (1, 10.0)  # the 2024 order is outside the window
    assert rows["c2"]["tenure_days"] == (date(2026, 3, 31) - date(2024, 1, 5)).days
    assert facts.lines_after_end == 1
    assert facts.customers_to_end == 3
    assert facts.lapsed_beyond_window == 1
    assert facts.lookback_start == date(2025, 3, 31)
    assert "1 order line(s) after 2026-03-31 ignored" in facts.sentence()
    assert result["lines"] == 7
    assert result["date_format"] == "iso"


def test_a_longer_window_brings_back_an_older_customer(tmp_path: Path) -> None:
    rows = features_of(write(tmp_path, ORDERS), months=27)["rows"]  # from 2024-01-01
    assert set(rows) == {"c1", "c2", "c4"}
    assert (rows["c2"]["frequency"], rows["c2"]["monetary"]) == (2, 40.0)
    assert rows["c4"]["recency_days"] == (date(2026, 3, 31) - date(2024, 12, 31)).days


def test_future_orders_change_nothing_in_a_past_period(tmp_path: Path) -> None:
    before = features_of(write(tmp_path, ORDERS, "a.csv"))["rows"]
    later = ORDERS + "A7,c1,2026-05-01,999\nA8,c5,2026-06-01,5\nA9,c2,2026-04-01,7\n"
    after = features_of(write(tmp_path, later, "b.csv"))
    assert after["rows"] == before
    assert after["facts"].lines_after_end == 4


def test_without_order_id_a_customers_lines_of_one_day_are_one_order(tmp_path: Path) -> None:
    text = "customer,date,total\nx,2026-03-01,10\nx,2026-03-01,5\nx,2026-03-02,1\ny,2026-02-01,3\n"
    rows = features_of(write(tmp_path, text))["rows"]
    assert (rows["x"]["frequency"], rows["x"]["monetary"], rows["x"]["recency_days"]) == (2, 16.0, 29)
    assert rows["x"]["avg_order_value"] == pytest.approx(8.0)


def test_amount_from_quantity_and_unit_price(tmp_path: Path) -> None:
    # Online Retail's own headers map without --columns.
    text = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,a,2,12/13/2025 8:26,2.5,17850\n"
    text += "1,b,1,12/13/2025 8:26,10,17850\nC2,a,-1,12/20/2025 9:00,2.5,17850\n"
    result = features_of(write(tmp_path, text))
    row = result["rows"]["17850"]
    assert (row["frequency"], row["monetary"]) == (1, 12.5)
    assert result["date_format"] == "%m/%d/%Y"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2026-03-01", "2026-03-02 10:00:00", "2026-03-03T11:00:00"], "iso"),
        (["20260301", "20260315"], "%Y%m%d"),
        (["13/03/2026", "01/04/2026"], "%d/%m/%Y"),
        (["03/13/2026", "04/01/2026 08:15"], "%m/%d/%Y"),
        (["13.03.2026", "01.04.2026"], "%d.%m.%Y"),
    ],
)
def test_date_forms_are_detected(values: list[str], expected: str) -> None:
    assert choose_date_format(values, None, source="f.csv")[0] == expected


def test_ambiguous_dates_need_a_date_format() -> None:
    with pytest.raises(InputFileError, match=r"day-first and month-first.*\n.*--date-format '%d/%m/%Y'"):
        choose_date_format(["03/04/2026", "05/06/2026"], None, source="f.csv")
    assert choose_date_format(["03/04/2026"], "%d/%m/%Y", source="f.csv")[0] == "%d/%m/%Y"


def test_a_given_date_format_reads_the_file(tmp_path: Path) -> None:
    text = "customer_id,order_date,amount\na,03/04/2026,5\nb,01/02/2026,6\n"
    day_first = features_of(write(tmp_path, text), date_format="%d/%m/%Y")["rows"]
    assert set(day_first) == {"b"}  # 3 April is after the quarter
    assert day_first["b"]["recency_days"] == (date(2026, 3, 31) - date(2026, 2, 1)).days
    month_first = features_of(write(tmp_path, text, "m.csv"), date_format="%m/%d/%Y")["rows"]
    assert month_first["a"]["recency_days"] == (date(2026, 3, 31) - date(2026, 3, 4)).days


def test_bad_lines_are_all_named_and_nothing_is_read(tmp_path: Path) -> None:
    text = ORDERS + "A9,,2026-01-01,5\nA10,c9,yesterday,5\nA11,c9,2026-01-02,12 EUR\nA12,c9,2026-01-03,1_000\n"
    with pytest.raises(ValidationFailed) as caught:
        read_orders(
            inspect_orders(write(tmp_path, text), columns=None, delimiter=None),
            date_format=None,
        )
    message = str(caught.value)
    assert "4 value(s)" in message
    assert "break the order contract" in message
    assert "customer_id · not_nullable: 1 failing: <empty> (line 9)" in message
    assert "order_date · is a date (ISO date): 1 failing: 'yesterday' (line 10)" in message
    assert "amount · is a number: 2 failing: '12 EUR' (line 11), '1_000' (line 12)" in message
    failures = caught.value.failures
    assert sorted(failures["source_line"].tolist()) == [9, 10, 11, 12]


def test_control_characters_in_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"customer_id,order_date,amount\nc\x001,2026-01-01,5\nc2,2026-01-01,5\n")
    with pytest.raises(ValidationFailed, match=r"customer_id · no control characters: 1 failing: .*\(line 2\)"):
        read_orders(inspect_orders(path, columns=None, delimiter=None), date_format=None)


def test_nobody_in_the_window_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"no customer ordered in the window 2022-12-31 \(excl.\) – 2023-12-31"
    ) as caught:
        features_of(write(tmp_path, ORDERS), Period.parse("2023Q4"))
    assert "no order up to 2023-12-31; 7 order line(s) are after it" in str(caught.value)


@pytest.mark.parametrize("mixed", [False, True])
def test_cr_or_mixed_line_endings_read_as_the_same_lines(tmp_path: Path, mixed: bool) -> None:
    lines = ORDERS.encode().splitlines()
    # mixed: a header rewritten by a Unix tool on top of a Windows export; else old Mac CR endings
    data = lines[0] + b"\n" + b"\r\n".join(lines[1:]) + b"\r\n" if mixed else b"\r".join(lines) + b"\r"
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    assert features_of(path)["rows"] == features_of(write(tmp_path, ORDERS, "lf.csv"))["rows"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(data.replace(b"A4,c2,2026-03-31 10:00:00,10", b"A4,c2,2026-03-31 10:00:00,ten"))
    with pytest.raises(ValidationFailed, match=r"'ten' \(line 6\)"):
        features_of(bad)


def test_a_byte_that_is_not_utf8_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS.encode().replace(b"A5,c3", b"A5,c\xe93"))
    with pytest.raises(InputFileError, match=r"line 7.*UTF-8|UTF-8.*line 7"):
        features_of(path)


@pytest.mark.parametrize(
    ("end", "months", "expected"),
    [
        (date(2026, 3, 31), 12, date(2025, 3, 31)),
        (date(2026, 2, 28), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2026, 6, 30), 3, date(2026, 3, 31)),  # month ends stay month ends
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
    ],
)
def test_lookback_start(end: date, months: int, expected: date) -> None:
    assert lookback_start(end, months) == expected


def test_guest_orders_are_refused_with_a_hint_or_left_out_and_counted(tmp_path: Path) -> None:
    path = write(tmp_path, ORDERS + "G1,,2026-01-01,5\nG1,,2026-01-01,7\n")
    with pytest.raises(ValidationFailed, match=r"not_nullable: 2 failing(.|\n)*hint: .*--anonymous-orders skip"):
        read_orders(inspect_orders(path, columns=None, delimiter=None), date_format=None)
    history = read_orders(
        inspect_orders(path, columns=None, delimiter=None),
        date_format=None,
        skip_anonymous=True,
    )
    try:
        assert history.anonymous_lines == 2
        table, _ = period_features(history, Q1, lookback_months=12)
    finally:
        history.remove()
    assert sorted(table.column("customer_id").to_pylist()) == ["c1", "c2"]  # the same customers as without them


def test_one_read_answers_every_period_as_a_read_per_period_would(tmp_path: Path) -> None:
    path = write(tmp_path, ORDERS + "A7,c1,2026-05-01,999\nA8,c5,2026-06-01,5\n")
    history = read_orders(inspect_orders(path, columns=None, delimiter=None), date_format=None)
    try:
        once = {
            p: period_features(history, Period.parse(p), lookback_months=12)[0].to_pylist()
            for p in ("2026Q1", "2026Q2")
        }
    finally:
        history.remove()
    assert not history.store.exists()  # the orders' file is gone with its history
    for label, rows in once.items():
        assert rows == sorted(features_of(path, Period.parse(label))["rows"].values(), key=lambda r: r["customer_id"])
    assert {r["customer_id"] for r in once["2026Q2"]} == {"c1", "c2", "c3", "c5"}


def test_an_order_whose_lines_span_the_period_end_is_seen_as_of_the_end(tmp_path: Path) -> None:
    # B1's second line (a return) comes after the quarter: the quarter sees the order without it.
    text = "order_id,customer_id,order_date,amount\nB1,x,2026-03-30,100\nB1,x,2026-04-02,-40\nB2,y,2026-03-01,5\n"
    path = write(tmp_path, text)
    q1 = features_of(path, Q1)
    assert q1["rows"]["x"]["monetary"] == 100.0
    assert q1["facts"].lines_after_end == 1
    q2 = features_of(path, Period.parse("2026Q2"))["rows"]
    assert (q2["x"]["monetary"], q2["x"]["recency_days"]) == (60.0, (date(2026, 6, 30) - date(2026, 3, 30)).days)


def test_a_history_that_ends_before_the_period_says_so(tmp_path: Path) -> None:
    facts = features_of(write(tmp_path, ORDERS), Period.parse("2026Q2"))["facts"]
    assert facts.history_ends == date(2026, 4, 2)
    assert facts.ends_early
    assert facts.as_record()["last_order_date"] == date(2026, 4, 2)
    assert not features_of(write(tmp_path, ORDERS, "b.csv"), Q1)["facts"].ends_early  # c3 ordered after Q1


# Issue 29's reproductions: its 12-line base file plus one line, for 2026Q2 (line 14 is the added one).
ISSUE_BASE = """customer_id,order_date,amount
C1,2026-04-03,10.00
C1,2026-06-20,35.50
C2,2026-05-11,120.00
C3,2025-09-14,15.00
C3,2026-02-01,18.00
C4,2026-06-29,300.00
C4,2026-03-03,250.00
C5,2025-12-24,60.00
C6,2026-01-15,5.00
C7,2026-04-28,80.00
C8,2026-06-01,44.00
C8,2026-06-02,41.00
"""
Q2 = Period.parse("2026Q2")


def day_first(text: str) -> str:
    """The base file with its dates written DD/MM/YYYY."""
    return re.sub(r"(\d{4})-(\d\d)-(\d\d)", r"\3/\2/\1", text)


def compact(text: str) -> str:
    """The base file with its dates written YYYYMMDD."""
    return re.sub(r"(\d{4})-(\d\d)-(\d\d)", r"\1\2\3", text)


REFUSED_BY_LINE = {
    "1. an amount of 1e33": (ISSUE_BASE, "X,2026-05-05,1e33", "amount", "|amount| ≤ 1e15"),
    "1. an amount of 1.7e308": (ISSUE_BASE, "X,2026-05-05,1.7e308", "amount", "|amount| ≤ 1e15"),
    "1. just over the bound": (ISSUE_BASE, "X,2026-05-05,-1000000000000000.5", "amount", "|amount| ≤ 1e15"),
    "2. a no-break space after an amount": (ISSUE_BASE, "X,2026-05-05,12.50\u00a0", "amount", "is a number"),
    "2. a no-break space before an amount": (ISSUE_BASE, "X,2026-05-05, \u00a012.50", "amount", "is a number"),
    "2. a no-break space after a date": (ISSUE_BASE, "X,2026-05-05\u00a0,12.50", "order_date", "is a date (ISO date)"),
    "2. a thin space in a date": (ISSUE_BASE, "X,\u20092026-05-05,12.50", "order_date", "is a date (ISO date)"),
    "3. a two-digit year": (day_first(ISSUE_BASE), "X,16/06/26,20.00", "order_date", "is a date from 1900-01-01"),
    "4. seven-digit YYYYMMDD": (compact(ISSUE_BASE), "X,2026062,20.00", "order_date", "is a date (%Y%m%d)"),
    "4. nine-digit YYYYMMDD": (compact(ISSUE_BASE), "X,202606160,20.00", "order_date", "is a date (%Y%m%d)"),
    "5. a leading minus": (ISSUE_BASE, "X,-2026-06-16,20.00", "order_date", "is a date from 1900-01-01"),
    "5. before 1900": (ISSUE_BASE, "X,1899-12-31,20.00", "order_date", "is a date from 1900-01-01"),
    "5. after 2199": (ISSUE_BASE, "X,2200-01-01,20.00", "order_date", "is a date from 1900-01-01"),
    "5. a sentinel date": (ISSUE_BASE, "X,9999-12-31,20.00", "order_date", "is a date from 1900-01-01"),
    "6. a positive amount below a millionth": (ISSUE_BASE, "T,2026-05-05,1e-7", "amount", "zero or |amount| ≥"),
    "6. a negative one": (ISSUE_BASE, "T,2026-05-05,-0.0000004", "amount", "zero or |amount| ≥"),
    "6. one that a float holds as 0": (ISSUE_BASE, "T,2026-05-05,1e-400", "amount", "zero or |amount| ≥"),
    "a doubled sign": (ISSUE_BASE, "X,2026-05-05,+-1", "amount", "is a number"),
}


@pytest.mark.parametrize("case", REFUSED_BY_LINE)
def test_issue_29_values_are_refused_by_line(tmp_path: Path, case: str) -> None:
    base, line, column, check = REFUSED_BY_LINE[case]
    path = write(tmp_path, base + line + "\n")
    with pytest.raises(ValidationFailed) as caught:
        read_orders(inspect_orders(path, columns=None, delimiter=None), date_format=None)
    failures = caught.value.failures
    assert failures[["column_name", "source_line"]].values.tolist() == [[column, 14]]
    assert failures["check_name"].iloc[0].startswith(check)
    assert str(caught.value).startswith(f"{path}: 1 value(s) in 1 order line(s) break the order contract")
    assert "(line 14)" in str(caught.value)


@pytest.mark.parametrize(
    ("case", "extra", "message"),
    [
        ("7. a byte that is not UTF-8 outside the contract", b"X,2026-05-05,20.00,caf\xe9\n", r"line 14 is not UTF-8"),
        ("8. one delimiter too many", b"X,2026-05-05,20.00,\n", r"line 14 has 4 fields where the header has 3"),
        ("8. one field too many", b"X,2026-05-05,20.00,x\n", r"line 14 has 4 fields where the header has 3"),
        ("8. one field too few", b"X,2026-05-05\n", r"line 14 has 2 fields where the header has 3"),
        ("8. a quote that never closes", b'X,"2026-05-05,20.00\n', r"line 14: a quoted field opens here"),
    ],
)
def test_issue_29_bytes_and_rows_are_refused_by_line_as_in_customer_tables(
    tmp_path: Path, case: str, extra: bytes, message: str
) -> None:
    base = ISSUE_BASE if not case.startswith("7.") else ISSUE_BASE.replace("amount\n", "amount,note\n")
    if case.startswith("7."):
        base = base.replace("\n", ",\n").replace("amount,note,\n", "amount,note\n")  # an empty note on each line
    path = tmp_path / "orders.csv"
    path.write_bytes(base.encode() + extra)
    with pytest.raises(InputFileError, match=message):
        features_of(path, Q2)


def test_issue_29_line_numbers_are_an_editors_after_blank_lines_and_quoted_breaks(tmp_path: Path) -> None:
    text = ISSUE_BASE.replace("amount\n", "amount,note\n").replace("\n", ",\n").replace("note,\n", "note\n")
    text = text.replace("C2,2026-05-11,120.00,", '\nC2,2026-05-11,120.00,"two\nlines"')  # line 4 blank, 5-6 one record
    path = write(tmp_path, text + "X,2026-05-05,ten,\n")
    with pytest.raises(ValidationFailed) as caught:
        features_of(path, Q2)
    assert caught.value.failures["source_line"].tolist() == [16]  # 1 header + 12 base lines + 1 blank + 1 break + 1
    attributes = write(tmp_path, "CustomerID,Age\nC1,30\n\nC2,forty\n", "attributes.csv")
    with pytest.raises(ValidationFailed, match=r"'forty' \(line 4\)"):
        read_attributes(attributes, columns=None, delimiter=None)


def test_issue_29_counts_are_exact_lines_not_stored_examples(tmp_path: Path) -> None:
    lines = [f"G{i},2026-05-05,1" for i in range(1_100)] + [",2026-05-05,1"] * 1_200 + ["Z,2026-05-05,x"] * 50
    path = write(tmp_path, ISSUE_BASE + "\n".join(lines) + "\n")
    with pytest.raises(ValidationFailed) as caught:
        features_of(path, Q2)
    assert "1250 value(s) in 1250 order line(s) break the order contract" in str(caught.value)
    assert "customer_id · not_nullable: 1200 failing" in str(caught.value)
    assert len(caught.value.failures) == 1_000 + 50  # at most 1,000 stored per check


def test_issue_29_a_line_with_two_bad_values_counts_once(tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_BASE + ",yesterday,1e33\n")
    with pytest.raises(ValidationFailed, match=r": 3 value\(s\) in 1 order line\(s\) break"):
        features_of(path, Q2)


def test_a_failing_file_never_gets_an_empty_report() -> None:
    from tasks.orders import order_report, unnamed_failures

    source = inspect_orders(Path(__file__).parents[3] / "data" / "sample_orders.csv", columns=None, delimiter=None)
    report = order_report(unnamed_failures(3), source=source)
    assert "3 order line(s) break the order contract" in report
    assert "no value could be named" in report
    assert "no value could be named" in order_report(unnamed_failures(3).iloc[:0], source=source)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # A CSV's offset does not move the day it was written on: the retailer's calendar.
        ("X,2026-06-30T23:30:00-05:00,5", {"recency_days": 0, "frequency": 1, "monetary": 5.0}),
        ("X,2026-07-01T01:30:00+05:00,5", None),  # written on 1 July: after the period, whatever the instant
        ("X,2026-06-30T23:30:00Z,5", {"recency_days": 0, "frequency": 1, "monetary": 5.0}),
        ("X,2026-06-30 23:30:00,5", {"recency_days": 0, "frequency": 1, "monetary": 5.0}),
        ("X,2026-05-05,1e15", {"recency_days": 56, "frequency": 1, "monetary": 1e15}),  # the bound itself
        ("X,2026-05-05,0.000001", {"recency_days": 56, "frequency": 1, "monetary": 0.000001}),
        ("X,2026-05-05,0", None),  # zero: not an order
        ("X,2026-05-05,  12.50 ", {"recency_days": 56, "frequency": 1, "monetary": 12.5}),  # spaces are trimmed
        ("X,1900-01-01,5", None),  # the first day of the range; long before the window
        ("X,2199-12-31,5", None),  # the last; long after the period
    ],
)
def test_issue_29_accepted_lines_count_as_readme_says(tmp_path: Path, line: str, expected: dict | None) -> None:
    result = features_of(write(tmp_path, ISSUE_BASE + line + "\n"), Q2)
    assert result["lines"] == 13
    if expected is None:
        assert "X" not in result["rows"]
    else:
        assert {k: result["rows"]["X"][k] for k in expected} == expected
    assert result["rows"]["C1"]["monetary"] == 45.5  # the rest of the file as before


def test_a_two_digit_year_reads_under_an_explicit_format(tmp_path: Path) -> None:
    text = re.sub(r"(\d\d)(\d\d)-(\d\d)-(\d\d)", r"\4/\3/\2", ISSUE_BASE)  # DD/MM/YY
    rows = features_of(write(tmp_path, text + "X,16/06/26,20.00\n"), Q2, date_format="%d/%m/%y")["rows"]
    assert rows["X"]["recency_days"] == 14


@pytest.mark.parametrize(
    ("zone", "in_q2"),
    [("-05:00", True), ("America/Chicago", True), ("UTC", False), ("Asia/Tokyo", False)],
)
def test_a_parquet_timestamp_with_a_zone_counts_on_its_day_in_that_zone(tmp_path: Path, zone: str, in_q2: bool) -> None:
    """2026-07-01 04:30 UTC is 30 June 23:30 in Chicago (CDT, -05:00), 1 July in UTC and Tokyo."""
    instant = datetime(2026, 7, 1, 4, 30, tzinfo=UTC)
    base = pacsv.read_csv(pa.py_buffer(ISSUE_BASE.encode())).to_pandas()
    dates = [datetime.combine(d, time(12), tzinfo=UTC) for d in pd.to_datetime(base["order_date"]).dt.date]
    table = pa.table(
        {
            "customer_id": [*base["customer_id"], "X"],
            "order_date": pa.array([*dates, instant], pa.timestamp("us", tz=zone)),
            "amount": [*base["amount"], 5.0],
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    rows = features_of(path, Q2)["rows"]
    assert ("X" in rows) == in_q2
    if in_q2:
        assert rows["X"]["recency_days"] == 0


def test_a_parquet_double_of_1e300_is_refused_by_row(tmp_path: Path) -> None:
    base = pacsv.read_csv(pa.py_buffer(ISSUE_BASE.encode()))
    extra = pa.table({"customer_id": ["X"], "order_date": [date(2026, 5, 5)], "amount": [1e300]})
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.concat_tables([base, extra.cast(base.schema)]), path)
    with pytest.raises(ValidationFailed, match=r"amount · \|amount\| ≤ 1e15: 1 failing: '1e\+300' \(row 13\)"):
        features_of(path, Q2)
