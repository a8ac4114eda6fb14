"""Order histories through the real command and flow: what lands in the warehouse and the BI surface,
point in time, backfills, scoring with models of the past only, and bad files."""

from __future__ import annotations

import io
import itertools
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import tasks.orders as orders_stage
from segmentation.naming import SEPARATOR
from segmentation.registry import FEATURES, ONE_TIME
from segmentation.sample import generate_orders, write_orders
from tests.helpers import FAST, cli_error, invoke_json, query, succeed


def segment(*args: str, **env: str) -> tuple[object, dict | None]:
    return invoke_json(*args, env={**FAST, **env})


def ok(*args: str, **env: str) -> dict:
    return succeed(*args, env={**FAST, **env})


def segments(db: Path, period: str) -> pd.DataFrame:
    return query(
        db,
        "SELECT s.customer_id, s.segment_id, s.segment_name FROM customer_segments s "
        "JOIN period_runs r USING (run_id) WHERE r.period = ? ORDER BY 1",
        [period],
    )


RFM = ("recency_days", "frequency", "monetary")


def assert_names_are_true(profiles: pd.DataFrame) -> None:
    """Each name carries one word per clustered feature, and the words rank as the stored medians do
    (no "Recent" segment with a longer median recency than a "Lapsed" one); names distinct, no brackets."""
    names = profiles["segment_name"].tolist()
    assert len(set(names)) == len(names)
    assert not any("(" in name for name in names)
    for feature in RFM:
        words = (ONE_TIME, *FEATURES[feature].words) if feature == "frequency" else FEATURES[feature].words
        ranks = []
        for name in names:
            found = [words.index(part) for part in name.split(SEPARATOR) if part in words]
            assert len(found) == 1, (name, feature)
            ranks.append(found[0])
        medians = profiles[f"median_{feature}"].tolist()
        for i, j in itertools.permutations(range(len(names)), 2):
            assert not (ranks[i] < ranks[j] and medians[i] > medians[j]), (feature, names[i], names[j])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded two-and-a-half-year order history (2024-07 .. 2026-11)."""
    return write_orders(generate_orders(400, seed=3), tmp_path_factory.mktemp("orders") / "orders.csv")


def test_an_order_history_is_segmented_on_behaviour_as_of_the_period_end(
    workdir: Path, db: Path, history: Path
) -> None:
    summary = ok("run", "--orders", str(history), "--period", "2026Q3", "--db", str(db))
    run = query(db, "SELECT * FROM runs").iloc[0]
    assert (run.source_kind, run.status, run.features) == ("orders", "succeeded", "recency_days,frequency,monetary")
    assert run.n_rows == pd.read_csv(history).shape[0]  # order lines read
    assert run.orders_after_end > 0  # October and November 2026 were ignored, and it says so
    assert pd.Timestamp(run.window_start) == pd.Timestamp("2025-09-30")
    features = query(db, "SELECT * FROM customer_features WHERE run_id = ?", [summary["run_id"]])
    assert len(features) == run.n_customers == sum(s["customers"] for s in summary["segments"])
    assert (features["recency_days"].between(0, 365)).all()
    assert (features["frequency"] >= 1).all()
    assert (features["tenure_days"] >= features["recency_days"]).all()
    profiles = query(db, "SELECT * FROM segment_profiles WHERE run_id = ?", [summary["run_id"]])
    assert_names_are_true(profiles)
    assert 3 <= run.k <= 6  # the order-history range 3..8, capped at 6 by FAST
    assert profiles["share"].min() >= 0.02
    assert profiles["mean_spending_score"].isna().all()
    assert profiles["mean_monetary"].notna().all()
    assert profiles["rule"].str.contains("last order|orders|net spend").all()
    # The rules are in original units: a segment's recency bound is in days, not in log units.
    most_recent = profiles.sort_values("mean_recency_days").iloc[0]
    assert most_recent["centroid_recency_days"] < profiles["centroid_recency_days"].max()
    bi = Path(summary["bi_path"])
    served = query(bi, "SELECT count(*) AS n, count(DISTINCT segment_id) AS k FROM current_customer_features")
    assert (served["n"].item(), served["k"].item()) == (len(features), len(profiles))
    assert Path(summary["report_path"]).is_file()


def test_future_orders_do_not_change_a_past_period(workdir: Path, history: Path) -> None:
    """A backfill of 2026Q1 run today gives what a run on 2026-04-01 would have given."""
    orders = pd.read_csv(history)
    as_of_then = workdir / "then.csv"
    orders[orders["order_date"] <= "2026-03-31"].to_csv(as_of_then, index=False)
    then_db, now_db = workdir / "then.duckdb", workdir / "now.duckdb"
    ok("run", "--orders", str(as_of_then), "--period", "2026Q1", "--db", str(then_db))
    ok("run", "--orders", str(history), "--period", "2026Q1", "--db", str(now_db))
    assert segments(now_db, "2026Q1").equals(segments(then_db, "2026Q1"))
    features = "SELECT * EXCLUDE (run_id) FROM customer_features ORDER BY customer_id"
    assert query(now_db, features).equals(query(then_db, features))
    ignored = "SELECT orders_after_end FROM runs"
    assert query(then_db, ignored).iloc[0, 0] == 0
    assert query(now_db, ignored).iloc[0, 0] > 0


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every order file the flow reads and types, in order (tasks.orders.read_orders, counted)."""
    reads: list[str] = []
    read = orders_stage.read_orders

    def counting(source: object, **options: object) -> object:
        reads.append(str(source.path))
        return read(source, **options)

    monkeypatch.setattr(orders_stage, "read_orders", counting)
    return reads


def test_a_quarterly_backfill_equals_the_periods_run_one_by_one(
    workdir: Path, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfilled, by_hand = workdir / "backfill.duckdb", workdir / "by_hand.duckdb"
    reads = counted_reads(monkeypatch)
    (workdir / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(workdir / "tmp"))  # where the history's orders are kept
    result, document = segment("backfill", "--from", "2025Q4", "--to", "2026Q2", "--orders", str(history),
                               "--db", str(backfilled))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [o["outcome"] for o in document["outcomes"]] == ["succeeded"] * 3
    assert reads == [str(history)]  # one read, typed and checked once, for the three periods
    assert not list((workdir / "tmp").glob("segment-orders-*"))  # and its orders' file is gone once it is done
    for period in ("2025Q4", "2026Q1", "2026Q2"):
        ok("run", "--orders", str(history), "--period", period, "--db", str(by_hand))
    for period in ("2025Q4", "2026Q1", "2026Q2"):
        assert segments(backfilled, period).equals(segments(by_hand, period)), period
    for run_id in query(backfilled, "SELECT run_id FROM runs")["run_id"]:
        assert_names_are_true(query(backfilled, "SELECT * FROM segment_profiles WHERE run_id = ?", [run_id]))
    moved = query(backfilled, "SELECT count(*) AS n FROM segment_transitions")["n"].item()
    assert moved > 0  # behaviour changes between quarters: transitions are recorded


def test_scoring_a_past_month_uses_the_model_of_its_own_past(workdir: Path, db: Path, history: Path) -> None:
    q1 = ok("run", "--orders", str(history), "--period", "2026Q1", "--db", str(db))
    result, _ = segment("score", "--orders", str(history), "--period", "2025-11", "--db", str(db))
    assert result.exit_code == 1  # a warehouse with only a later model has none for November 2025
    assert "no succeeded fitted run of a period ending by 2025-11-30" in result.stderr
    q3 = ok("run", "--orders", str(history), "--period", "2026Q3", "--db", str(db))
    may = ok("score", "--orders", str(history), "--period", "2026-05", "--db", str(db))
    assert may["model_run_id"] == q1["run_id"]  # not the later 2026Q3 model
    october = ok("score", "--orders", str(history), "--period", "2026-10", "--db", str(db))
    assert october["model_run_id"] == q3["run_id"]
    result, _ = segment("score", "--orders", str(history), "--period", "2026-05", "--db", str(db),
                        "--model-run", q3["run_id"])  # fmt: skip
    assert result.exit_code == 1
    assert "would use a model from the period's future" in result.stderr
    scored = query(db, "SELECT count(*) AS n FROM customer_features WHERE run_id = ?", [may["run_id"]])
    assert scored["n"].item() > 0


def test_bad_orders_fail_with_their_lines_and_publish_nothing(workdir: Path, db: Path) -> None:
    bad = workdir / "bad.csv"
    bad.write_text(
        "order_id,customer_id,order_date,amount\n"
        "1,a,2026-01-05,10\n"
        "2,,2026-01-06,10\n"
        "3,b,31/02/2026,10\n"
        "4,c,2026-01-07,ten\n",
        encoding="utf-8",
    )
    result, _failed = segment("run", "--orders", str(bad), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()
    assert any(line.startswith("error:") for line in last)
    assert "(line 3)" in result.stderr
    assert "(line 4)" in result.stderr
    assert "(line 5)" in result.stderr
    assert "customer_id · not_nullable" in result.stderr
    assert "order_date · is a date" in result.stderr
    assert query(db, "SELECT status FROM runs")["status"].tolist() == ["failed"]
    assert query(db, "SELECT count(*) AS n FROM customer_segments")["n"].item() == 0
    stored = query(db, "SELECT source_line FROM validation_failures ORDER BY 1")["source_line"].tolist()
    assert stored == [3, 4, 5]


def test_a_header_that_does_not_map_is_refused_before_the_flow(workdir: Path, db: Path) -> None:
    odd = workdir / "odd.csv"
    odd.write_text("client;when;paid\nx;2026-01-01;3\n", encoding="utf-8")
    result, _failed = segment("run", "--orders", str(odd), "--period", "2026Q1", "--db", str(db))
    assert result.exit_code == 1
    assert "missing required column(s) ['customer_id', 'order_date']" in result.stderr
    assert "hint:" in result.stderr
    assert not db.exists()  # nothing ran
    result, _ = segment("run", "--orders", str(odd), "--period", "2026Q1", "--db", str(db),
                        "--columns", "customer_id=client,order_date=when,amount=paid")  # fmt: skip
    assert result.exit_code == 1  # one customer cannot be split into segments, but the header mapped
    assert "cannot be split" in result.stderr


def test_attributes_join_for_profiles_and_gender_can_be_a_weighted_feature(
    workdir: Path, db: Path, history: Path
) -> None:
    customers = sorted(pd.read_csv(history)["customer_id"].unique())
    attributes = workdir / "attributes.csv"
    pd.DataFrame(
        {
            "CustomerID": customers,
            "Gender": ["Female" if i % 3 else "Male" for i in range(len(customers))],
            "Age": [20 + i % 50 for i in range(len(customers))],
        }
    ).to_csv(attributes, index=False)
    plain = ok("run", "--orders", str(history), "--attributes", str(attributes), "--period", "2026Q3", "--db", str(db))
    profiles = query(db, "SELECT * FROM segment_profiles WHERE run_id = ?", [plain["run_id"]])
    assert profiles["share_female"].between(0, 1).all()
    assert profiles["mean_age"].notna().all()  # profiled, not clustered on
    behaviour_and_gender = "recency_days,frequency,monetary,gender"
    gendered = ok("run", "--orders", str(history), "--attributes", str(attributes), "--period", "2026Q3",
                  "--db", str(workdir / "gendered.duckdb"), "--features", behaviour_and_gender)  # fmt: skip
    names = [s["name"] for s in gendered["segments"]]
    assert all(n.split(" · ")[-1] in {"Mostly men", "Mixed gender", "Mostly women"} for n in names)
    # Weighted to one SD, gender separates without taking over: most customers keep the company
    # they had without it (the behavioural split survives).
    both = segments(db, "2026Q3").merge(segments(workdir / "gendered.duckdb", "2026Q3"), on="customer_id")
    agreement = adjusted_rand_score(both["segment_id_x"], both["segment_id_y"])
    assert agreement > 0.3
    result, _ = segment("run", "--orders", str(history), "--period", "2026Q3", "--db", str(db),
                        "--features", "recency_days,gender")  # fmt: skip
    assert result.exit_code == 1
    assert "come from customer attributes: give --attributes with orders" in result.stderr


def test_guest_orders_left_out_on_request_are_counted_in_the_run(workdir: Path, db: Path, history: Path) -> None:
    with_guests = workdir / "guests.csv"
    with_guests.write_text(history.read_text() + "G1,,2026-08-01,1,20.0\nG2,,2026-08-02,1,30.0\n")
    result, _ = segment("run", "--orders", str(with_guests), "--period", "2026Q3", "--db", str(db))
    assert result.exit_code == 1
    assert "--anonymous-orders skip" in result.stderr
    summary = ok(
        "run", "--orders", str(with_guests), "--period", "2026Q3", "--db", str(db), "--anonymous-orders", "skip"
    )
    run = query(db, "SELECT anonymous_lines, n_customers FROM runs WHERE run_id = ?", [summary["run_id"]]).iloc[0]
    assert run.anonymous_lines == 2
    assert run.n_customers == sum(s["customers"] for s in summary["segments"])


def test_a_bad_order_file_fails_a_backfill_once_with_one_message(
    workdir: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = workdir / "bad.csv"
    bad.write_text("customer_id,order_date,amount\na,2025-11-05,10\nb,2025-12-06,ten\n", encoding="utf-8")
    reads = counted_reads(monkeypatch)
    result, document = segment("backfill", "--from", "2025Q4", "--to", "2026Q2", "--orders", str(bad), "--db", str(db))
    assert result.exit_code == 1
    assert [o["outcome"] for o in document["outcomes"]] == ["failed", "not run", "not run"]
    assert reads == [str(bad)]
    assert result.stderr.count("break the order contract") == 1
    runs = query(db, "SELECT period, status FROM runs")
    assert runs.values.tolist() == [["2025Q4", "failed"]]  # one run records the failure and its lines
    assert query(db, "SELECT source_line FROM validation_failures")["source_line"].tolist() == [3]


# Issue 29: its 12-line base file plus one line (line 14), run as `segment run --orders FILE
# --period 2026Q2 --db NEW/segments.duckdb`: rc 1 naming the line, the failure stored; or rc 0.
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
DAY_FIRST = re.sub(r"(\d{4})-(\d\d)-(\d\d)", r"\3/\2/\1", ISSUE_BASE)
COMPACT = re.sub(r"(\d{4})-(\d\d)-(\d\d)", r"\1\2\3", ISSUE_BASE)
WITH_NOTE = ISSUE_BASE.replace("\n", ",\n").replace("amount,\n", "amount,note\n")
IN_RANGE = "is a date from 1900-01-01 to 2199-12-31"
BELOW = "zero or |amount| \u2265 0.000001 (a millionth)"
ISSUE_29 = {
    "1 huge amount": (ISSUE_BASE, b"X,2026-05-05,1e33", ("amount", "|amount| \u2264 1e15", 14)),
    "1 the largest double": (ISSUE_BASE, b"X,2026-05-05,1.7e308", ("amount", "|amount| \u2264 1e15", 14)),
    "2 no-break space": (ISSUE_BASE, "X,2026-05-05,12.50\u00a0".encode(), ("amount", "is a number", 14)),
    "3 two-digit year": (DAY_FIRST, b"X,16/06/26,20.00", ("order_date", IN_RANGE, 14)),
    "4 seven-digit YYYYMMDD": (COMPACT, b"X,2026062,20.00", ("order_date", "is a date (%Y%m%d)", 14)),
    "5 leading minus": (ISSUE_BASE, b"X,-2026-06-16,20.00", ("order_date", IN_RANGE, 14)),
    "6 below a millionth": (ISSUE_BASE, b"T,2026-05-05,1e-7", ("amount", BELOW, 14)),
    "7 not UTF-8 outside the contract": (WITH_NOTE, b"X,2026-05-05,20.00,caf\xe9", "line 14 is not UTF-8 text"),
    "8 one delimiter too many": (ISSUE_BASE, b"X,2026-05-05,20.00,", "line 14 has 4 fields where the header has 3"),
}


@pytest.mark.parametrize("case", ISSUE_29)
def test_issue_29_reproductions_fail_naming_the_line(tmp_path: Path, case: str) -> None:
    base, line, expected = ISSUE_29[case]
    orders = tmp_path / "orders.csv"
    orders.write_bytes(base.encode() + line + b"\n")
    db = tmp_path / "new" / "segments.duckdb"
    result, _ = segment("run", "--orders", str(orders), "--period", "2026Q2", "--db", str(db))
    assert result.exit_code == 1, result.output
    error = cli_error(result.stderr)
    assert "unexpected" not in error
    assert "Traceback" not in result.stderr
    stored = query(db, "SELECT column_name, check_name, source_line FROM validation_failures")
    if isinstance(expected, tuple):  # a value: by line, in the report and in validation_failures
        column, check, number = expected
        assert f"{column} \u00b7 {check}: 1 failing:" in error
        assert f"(line {number})" in error
        assert "1 value(s) in 1 order line(s)" in error
        assert stored.values.tolist() == [[column, check, number]]
    else:  # bytes and rows: as a customer table's, in the run's error
        assert expected in error
        assert stored.empty
        assert expected in query(db, "SELECT error FROM runs")["error"].item()
    assert query(db, "SELECT status FROM runs")["status"].tolist() == ["failed"]


def test_issue_29_a_parquet_double_of_1e300_fails_naming_its_row(tmp_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(ISSUE_BASE), parse_dates=["order_date"])
    frame = pd.concat([frame, pd.DataFrame({"customer_id": ["X"], "order_date": [pd.Timestamp("2026-05-05")],
                                            "amount": [1e300]})], ignore_index=True)  # fmt: skip
    orders = tmp_path / "orders.parquet"
    frame.to_parquet(orders)
    db = tmp_path / "new" / "segments.duckdb"
    result, _ = segment("run", "--orders", str(orders), "--period", "2026Q2", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert "amount \u00b7 |amount| \u2264 1e15: 1 failing: '1e+300' (row 13)" in cli_error(result.stderr)
    assert query(db, "SELECT source_line FROM validation_failures")["source_line"].tolist() == [13]


def test_issue_29_a_csv_offset_does_not_move_the_written_day(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(ISSUE_BASE + "X,2026-06-30T23:30:00-05:00,5\n", encoding="utf-8")
    db = tmp_path / "new" / "segments.duckdb"
    summary = ok("run", "--orders", str(orders), "--period", "2026Q2", "--db", str(db))
    features = query(db, "SELECT * FROM customer_features WHERE run_id = ? AND customer_id = 'X'", [summary["run_id"]])
    assert features[["recency_days", "frequency", "monetary", "tenure_days"]].values.tolist() == [[0, 1, 5.0, 0]]
