"""Every read in warehouse/queries.py against a small warehouse whose rows are written here by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from warehouse import Warehouse, queries, sql

FEATURES = "annual_income,spending_score"
SCALING = json.dumps({"annual_income": {"mean": 60.0, "scale": 26.0}, "spending_score": {"mean": 50.0, "scale": 25.0}})

# run_id, period, start, end, status, mode, started (finished an hour later), model_run_id, reference_run_id, model
RUNS = [
    ("r1", "2025Q4", "2025-10-01", "2025-12-31", "succeeded", "fit", "2026-01-01 09:00", None, None, "r1"),
    ("r2", "2026Q1", "2026-01-01", "2026-03-31", "succeeded", "fit", "2026-04-01 09:00", None, "r1", "r2"),
    ("r3", "2026Q1", "2026-01-01", "2026-03-31", "failed", "fit", "2026-04-02 09:00", None, None, None),
    ("r4", "2026-02", "2026-02-01", "2026-02-28", "succeeded", "score", "2026-03-01 09:00", "r1", "r1", "r1"),
    ("s5", "2026Q2", "2026-04-01", "2026-06-30", "failed", None, "2026-07-01 09:00", None, None, None),
]
SHA = {"r1": "aaa", "r2": "bbb"}
# run_id, period, segment_id, name, n_customers, share, centroid income, centroid spending
PROFILES = [
    ("r1", "2025Q4", 1, "Low spending", 2, 2 / 3, 40.0, 20.0),
    ("r1", "2025Q4", 2, "High spending", 1, 1 / 3, 80.0, 90.0),
    ("r2", "2026Q1", 1, "Low spending", 1, 1 / 3, 42.0, 21.0),
    ("r2", "2026Q1", 3, "Average", 2, 2 / 3, 60.0, 50.0),
]
ASSIGNMENTS = [("r1", "2025Q4", "c1", 1), ("r1", "2025Q4", "c2", 1), ("r1", "2025Q4", "c3", 2)]


@pytest.fixture(scope="session")
def prefect_server() -> None:
    """Unit tests need no Prefect server: this replaces the session-wide one tests/conftest.py starts."""
    return None


def fill(con: duckdb.DuckDBPyConnection) -> None:
    for *row, model in RUNS:
        con.execute(
            "INSERT INTO runs (run_id, period, period_start, period_end, status, mode, started_at, model_run_id, "
            "reference_run_id, finished_at, model_path, model_sha256, source_path, features, feature_scaling) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMP + INTERVAL 1 HOUR, ?, ?, 'customers.csv', ?, ?)",
            [
                *row,
                row[6],
                model and f"/m/{model}.joblib",
                SHA.get(model),
                FEATURES,
                SCALING if row[0] == "r1" else None,
            ],
        )
    for row in PROFILES:
        con.execute(
            "INSERT INTO segment_profiles (run_id, period, segment_id, segment_name, n_customers, share, "
            "centroid_annual_income, centroid_spending_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )
    for run_id, period, customer, segment in ASSIGNMENTS:
        con.execute(
            "INSERT INTO customer_segments SELECT ?, ?, ?, ?, segment_name FROM segment_profiles "
            "WHERE run_id = ? AND segment_id = ?",
            [run_id, period, customer, segment, run_id, segment],
        )
    con.execute(
        "INSERT INTO customer_sample (run_id, customer_id, segment_id, annual_income) VALUES ('r1', 'c3', 2, 81)"
    )
    con.execute(
        "INSERT INTO k_selection (run_id, k, inertia, silhouette, chosen) VALUES "
        "('r1', 3, 10.0, 0.4, false), ('r1', 2, 20.0, 0.5, true)"
    )
    con.execute(
        "INSERT INTO segment_lineage (run_id, period, reference_run_id, segment_id, status, segment_name, "
        "reference_name) VALUES ('r2', '2026Q1', 'r1', 2, 'retired', NULL, 'High spending'),"
        " ('r2', '2026Q1', 'r1', 3, 'new', 'Average', NULL),"
        " ('r2', '2026Q1', 'r1', 1, 'matched', 'Low spending', 'Low spending')"
    )
    con.execute(
        "INSERT INTO segment_transitions VALUES ('r2', '2026Q1', 'r1', 1, 1, 1), ('r2', '2026Q1', 'r1', 2, 3, 1),"
        " ('r2', '2026Q1', 'r1', NULL, 3, 1)"
    )
    con.execute(
        "INSERT INTO drift_flags VALUES ('r2', '2026Q1', 'r1', 3, 'new_segment', NULL, NULL, 'segment 3 is new'),"
        " ('r2', '2026Q1', 'r1', NULL, 'low_silhouette', 0.2, 0.25, 'silhouette 0.20')"
    )
    con.execute(
        "INSERT INTO validation_failures VALUES ('r3', 'age', 'greater_than_or_equal_to(0)', '-1', 7, NULL, NULL),"
        " ('r3', NULL, 'column_in_dataframe', 'age', NULL, NULL, NULL)"
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    handle = Warehouse(tmp_path_factory.mktemp("queries") / "w.duckdb")
    with handle.transaction() as con:
        fill(con)
    return handle


@pytest.fixture
def con(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.read() as con:
        yield con


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with Warehouse(tmp_path / "empty.duckdb").write() as con:
        yield con


def test_every_query_file_is_named_folder_slash_name() -> None:
    for path in sorted((Path(queries.__file__).parent / "sql" / "queries").glob("*.sql")):
        assert sql(f"queries/{path.stem}") == path.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"named 'folder/name'.*not 'find_run'"):
        sql("find_run")


@pytest.mark.parametrize(("period", "expected"), [("2026Q1", "r2"), ("2025Q4", "r1"), ("2026Q2", None)])
def test_succeeded_run(con: duckdb.DuckDBPyConnection, period: str, expected: str | None) -> None:
    assert queries.succeeded_run(con, period) == expected


@pytest.mark.parametrize(
    ("started", "expected"),
    [(datetime(2026, 4, 1, 12), "r3"), (datetime(2026, 4, 1, 9), "r3"), (datetime(2026, 4, 3), None)],
)
def test_run_since(con: duckdb.DuckDBPyConnection, started: datetime, expected: str | None) -> None:
    assert queries.run_since(con, "2026Q1", started) == expected


def test_period_run(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.period_run(con, "2026Q1") == ("r2", "r1")
    assert queries.period_run(con, "2025Q4") == ("r1", None)
    assert queries.period_run(con, "2026Q2") is None  # only a failed run


@pytest.mark.parametrize(
    ("before", "expected"),
    [(date(2026, 1, 1), "r1"), (date(2026, 4, 1), "r2"), (date(2026, 3, 1), "r4"), (date(2025, 10, 1), None)],
)
def test_earlier_run(con: duckdb.DuckDBPyConnection, before: date, expected: str | None) -> None:
    assert queries.earlier_run(con, before) == expected


@pytest.mark.parametrize(
    ("after", "expected"), [(date(2025, 9, 30), "r1"), (date(2025, 12, 31), "r2"), (date(2026, 3, 31), None)]
)
def test_later_run(con: duckdb.DuckDBPyConnection, after: date, expected: str | None) -> None:
    assert queries.later_run(con, after) == expected


def test_run_for_matching(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.run_for_matching(con, "r1") == (
        FEATURES,
        SCALING,
        "/m/r1.joblib",
        "aaa",
        "2025Q4",
        date(2025, 12, 31),
    )
    assert queries.run_for_matching(con, "r2") == (FEATURES, None, "/m/r2.joblib", "bbb", "2026Q1", date(2026, 3, 31))
    assert queries.run_for_matching(con, "nope") is None


def test_model_run_is_a_succeeded_fit(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.model_run(con, "r2") == ("r2", "2026Q1", "/m/r2.joblib", "bbb", date(2026, 3, 31))
    assert queries.model_run(con, "r3") is None  # failed
    assert queries.model_run(con, "r4") is None  # scored, not fitted


@pytest.mark.parametrize(
    ("period_end", "expected"),
    [(date(2026, 3, 31), "r2"), (date(2026, 2, 28), "r1"), (date(2025, 12, 31), "r1"), (date(2025, 12, 30), None)],
)
def test_current_model_run_never_comes_from_the_future(
    con: duckdb.DuckDBPyConnection, period_end: date, expected: str | None
) -> None:
    row = queries.current_model_run(con, period_end)
    assert (row[0] if row else None) == expected
    if row:
        assert row[2:] == ("/m/r1.joblib", "aaa") if expected == "r1" else ("/m/r2.joblib", "bbb")


def test_segment_names(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.segment_names(con, "r1") == {1: "Low spending", 2: "High spending"}
    assert queries.segment_names(con, "nope") == {}


def test_segments_of_run(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.segments_of_run(con, "r2")
    assert frame["segment_id"].tolist() == [1, 3]
    assert frame["segment_name"].tolist() == ["Low spending", "Average"]
    assert frame["centroid_annual_income"].tolist() == [42.0, 60.0]
    assert frame["n_customers"].tolist() == [1, 2]


def test_customer_segments(con: duckdb.DuckDBPyConnection) -> None:
    table = queries.customer_segments(con, "r1")
    assert isinstance(table, pa.Table)
    assert sorted(zip(*table.to_pydict().values(), strict=True)) == [("c1", 1), ("c2", 1), ("c3", 2)]
    assert table.column_names == ["customer_id", "segment_id"]


def test_max_segment_id(con: duckdb.DuckDBPyConnection, empty: duckdb.DuckDBPyConnection) -> None:
    assert queries.max_segment_id(con) == 3
    assert queries.max_segment_id(empty) == 0


def test_transitions_count_every_move(con: duckdb.DuckDBPyConnection) -> None:
    ours = pa.table({"customer_id": ["c1", "c2", "c4"], "segment_id": pa.array([1, 3, 3], pa.int32())})
    frame = queries.transitions(con, "r1", ours)
    moves = {tuple(None if pd.isna(v) else int(v) for v in row) for row in frame.itertuples(index=False)}
    assert moves == {(1, 1, 1), (1, 3, 1), (2, None, 1), (None, 3, 1)}  # c3 gone, c4 new
    with pytest.raises(duckdb.CatalogException):  # nothing left registered on the caller's connection
        con.execute("SELECT * FROM current_assignments")


def test_default_run_is_the_current_run_else_none(
    con: duckdb.DuckDBPyConnection, empty: duckdb.DuckDBPyConnection
) -> None:
    assert queries.default_run(con) == "r4"  # the latest period's current run: 2026-02 starts after 2026Q1
    assert queries.default_run(empty) is None


@pytest.mark.parametrize(("period", "expected"), [("2026Q1", "r2"), ("2026Q2", "s5"), ("2027Q1", None)])
def test_run_of_period_prefers_a_success(con: duckdb.DuckDBPyConnection, period: str, expected: str | None) -> None:
    assert queries.run_of_period(con, period) == expected


@pytest.mark.parametrize(("prefix", "expected"), [("r", ["r3", "r2"]), ("r2", ["r2"]), ("s", ["s5"]), ("x", [])])
def test_runs_starting_with(con: duckdb.DuckDBPyConnection, prefix: str, expected: list[str]) -> None:
    assert queries.runs_starting_with(con, prefix) == expected


def test_report_run(con: duckdb.DuckDBPyConnection) -> None:
    scored = queries.report_run(con, "r4")
    assert (scored["run_id"], scored["is_current"], scored["model_period"], scored["reference_period"]) == (
        "r4",
        True,
        "2025Q4",
        "2025Q4",
    )
    fitted = queries.report_run(con, "r2")
    assert (fitted["is_current"], fitted["reference_period"], fitted["features"]) == (False, "2025Q4", FEATURES)


def test_report_tables(con: duckdb.DuckDBPyConnection) -> None:
    k_table = queries.report_k_table(con, "r1")
    assert k_table[["k", "chosen"]].values.tolist() == [[2, True], [3, False]]
    assert queries.report_profiles(con, "r2")["segment_id"].tolist() == [1, 3]
    lineage = queries.report_lineage(con, "r2")
    assert list(zip(lineage["segment_id"], lineage["status"], strict=True)) == [
        (1, "matched"),
        (3, "new"),
        (2, "retired"),
    ]
    transitions = queries.report_transitions(con, "r2")
    assert transitions["from_name"].tolist()[1:] == ["Low spending", "High spending"]
    assert transitions["to_name"].tolist() == ["Average", "Low spending", "Average"]
    assert transitions["from_segment"].isna().tolist() == [True, False, False]
    assert queries.report_flags(con, "r2")["flag"].tolist() == ["low_silhouette", "new_segment"]
    assert queries.report_failures(con, "r3")["check_name"].tolist() == [
        "column_in_dataframe",
        "greater_than_or_equal_to(0)",
    ]
    sample = queries.report_sample(con, "r1")
    assert "run_id" not in sample.columns
    assert "customer_id" not in sample.columns
    assert sample[["segment_id", "annual_income"]].values.tolist() == [[2, 81.0]]
    for read in (queries.report_k_table, queries.report_flags, queries.report_failures, queries.report_sample):
        assert read(con, "nope").empty
