"""One order history from wherever a retailer keeps it: one CSV, a folder of daily CSVs, a glob, hive-
partitioned Parquet and a PostgreSQL table (and query), each through the real `segment run`, give the
same features, segments and checksum. And what a run keeps of a PostgreSQL source never holds its
password: not the run record, the settings, the Prefect parameters, the artifacts, the report or the
log. Bad rows of a folder are named by file and line, of a table by its primary key."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from segmentation.sample import generate_orders, write_orders
from tests.helpers import FAST, bi_of, invoke, invoke_json, query
from tests.postgres import PostgresServer, free_port

PERIOD = "2026Q3"
END = pa.scalar(date(2026, 9, 30), pa.date32())
PASSWORD = "never-kept:pa55/w0rd@shop"  # characters a URL must encode
COLUMNS = ["customer_id", "order_date", "amount", "order_id"]  # the order of tests/postgres.ORDER_COLUMNS


@pytest.fixture(scope="module")
def lines() -> pa.Table:
    """About 7,000 generated order lines of 300 customers over 724 days (returns included)."""
    return generate_orders(300, seed=7).select(COLUMNS)


@pytest.fixture(scope="module")
def shop(postgres_server: PostgresServer, lines: pa.Table) -> PostgresServer:
    """Database `sources`: public.orders holding `lines` (primary key line_id), a role `reader` with a password."""
    server = postgres_server
    server.create_database("sources")
    server.create_orders_table("sources")
    server.copy_rows("sources", "public.orders", zip(*(lines[c].to_pylist() for c in COLUMNS), strict=True))
    server.create_role("analyst", password=PASSWORD)
    server.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst", "sources")
    return server


def url(server: PostgresServer, *, password: bool = False, table: str | None = "public.orders") -> str:
    base = server.url("sources", user="analyst", password=PASSWORD if password else None)
    return base + (f"?table={table}" if table else "")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, lines: pa.Table) -> dict[str, str]:
    """The same lines as one CSV, one CSV per day, and Parquet partitioned by year and month."""
    folder = tmp_path_factory.mktemp("sources")
    one = write_orders(lines, folder / "orders.csv")
    daily = folder / "exports"
    daily.mkdir()
    days = lines["order_date"]
    for day in pc.unique(days).to_pylist():
        rows = lines.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        pacsv.write_csv(rows, daily / f"{day.isoformat()}.csv")  # pyarrow quotes text: another writer's export
    hive = folder / "lake"
    partitioned = lines.append_column("year", pc.year(days)).append_column("month", pc.month(days))
    pq.write_to_dataset(partitioned, hive, partition_cols=["year", "month"])
    return {"one CSV": str(one), "daily CSVs": str(daily), "a glob": str(daily / "2*.csv"), "hive Parquet": str(hive)}


def run(orders: str, db: Path, *extra: str, env: dict[str, str] | None = None) -> dict:
    result, summary = invoke_json(
        "run", "--orders", orders, "--period", PERIOD, "--db", db, *extra, env={**FAST, **(env or {})}
    )
    assert result.exit_code == 0, f"{orders}: {result.output}"
    assert summary is not None
    return summary


def facts(db: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    features = query(
        db,
        "SELECT customer_id, recency_days, frequency, monetary, avg_order_value, tenure_days "
        "FROM customer_features ORDER BY customer_id",
    )
    segments = query(db, "SELECT customer_id, segment_id, segment_name FROM customer_segments ORDER BY customer_id")
    record = query(db, "SELECT source_checksum, n_rows, orders_after_end, source_detail FROM runs").iloc[0]
    return features, segments, record


@pytest.fixture(scope="module")
def runs(
    files: dict[str, str], shop: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict, pd.DataFrame, pd.DataFrame, pd.Series]]:
    folder = tmp_path_factory.mktemp("warehouses")
    sources = {**files, "PostgreSQL": url(shop)}
    done = {}
    for name, orders in sources.items():
        db = folder / f"{name.replace(' ', '_')}.duckdb"
        env = {"PGPASSWORD": PASSWORD} if name == "PostgreSQL" else None
        done[name] = (run(orders, db, env=env), *facts(db))
    return done


@pytest.mark.parametrize("name", ["daily CSVs", "a glob", "hive Parquet", "PostgreSQL"])
def test_every_source_gives_the_features_segments_and_checksum_of_one_csv(
    runs: dict[str, tuple[dict, pd.DataFrame, pd.DataFrame, pd.Series]], lines: pa.Table, name: str
) -> None:
    summary, features, segments, record = runs[name]
    one_summary, one_features, one_segments, one_record = runs["one CSV"]
    pd.testing.assert_frame_equal(features, one_features)
    pd.testing.assert_frame_equal(segments, one_segments)
    assert summary["k"] == one_summary["k"]
    assert record.source_checksum == one_record.source_checksum
    if name == "PostgreSQL":  # the server sends the lines up to the period's end only
        assert record.n_rows == pc.sum(pc.less_equal(lines["order_date"], END)).as_py() < lines.num_rows
    else:
        assert record.n_rows == one_record.n_rows == lines.num_rows
    assert len(features) > 100


def test_what_a_run_records_of_each_source(
    runs: dict[str, tuple[dict, pd.DataFrame, pd.DataFrame, pd.Series]], files: dict[str, str]
) -> None:
    *_, one = runs["one CSV"]
    assert one.source_detail is None
    assert one.orders_after_end > 0
    detail = json.loads(runs["daily CSVs"][3].source_detail)
    assert len(detail["files"]) == len(list(Path(files["daily CSVs"]).glob("*.csv")))
    assert detail["files"][0] == "2024-08-03.csv"
    table = runs["PostgreSQL"][3]
    assert pd.isna(table.orders_after_end)  # not read at all: the filter ran on the server
    pg = json.loads(table.source_detail)
    assert pg["table"] == "public.orders"
    assert pg["key"] == ["line_id"]
    assert pg["read_until"] == "2026-09-30"


def test_a_query_reads_like_its_table(
    runs: dict[str, tuple[dict, pd.DataFrame, pd.DataFrame, pd.Series]], shop: PostgresServer, tmp_path: Path
) -> None:
    db = tmp_path / "query.duckdb"
    query_text = "SELECT order_id, customer_id, order_date, amount FROM public.orders WHERE amount IS NOT NULL"
    run(url(shop, table=None), db, "--orders-query", query_text, env={"PGPASSWORD": PASSWORD})
    features, segments, record = facts(db)
    _, table_features, table_segments, table_record = runs["PostgreSQL"]
    pd.testing.assert_frame_equal(features, table_features)
    pd.testing.assert_frame_equal(segments, table_segments)
    assert record.source_checksum == table_record.source_checksum
    assert json.loads(record.source_detail)["query"] == query_text


def test_a_password_in_the_url_is_kept_nowhere(
    shop: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PGPASSWORD", "restored after the test")  # the command hands the URL's password to libpq
    monkeypatch.delenv("PGPASSWORD")
    db = tmp_path / "secret.duckdb"
    caplog.set_level(logging.INFO)
    summary = run(url(shop, password=True), db, "--verbose")
    kept = {
        "runs": query(db, "SELECT * FROM runs").to_json(),
        "bi": query(bi_of(db), "SELECT * FROM run_history").to_json(),
        "summary": json.dumps(summary),
        "log": caplog.text,
    }
    report = invoke("report", summary["run_id"], "--db", db)
    assert report.exit_code == 0, report.output
    kept["report"] = Path(report.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(query(db, "SELECT flow_run_id FROM runs")["flow_run_id"].item()))
        kept["parameters"] = json.dumps(flow_run.parameters, default=str)
        only_its_own = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        artifacts = client.read_artifacts(artifact_filter=only_its_own)
        kept["artifacts"] = json.dumps([a.data for a in artifacts], default=str)
    assert "analyst@127.0.0.1" in kept["parameters"]
    assert len(artifacts) >= 3
    assert "analyst@127.0.0.1" in kept["runs"]  # the URL is recorded, without its password
    for where, text in kept.items():
        for form in (PASSWORD, quote(PASSWORD, safe=""), "never-kept"):
            assert form not in text, f"the password ({form}) is in the {where}"


def test_bad_rows_of_a_folder_are_named_by_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    good = "order_id,customer_id,order_date,amount\nO1,C1,2026-07-01,10.00\nO2,C2,2026-07-02,12.00\n"
    (folder / "2026-07-01.csv").write_text(good, encoding="utf-8")
    (folder / "2026-07-02.csv").write_text(
        "order_id,customer_id,order_date,amount\nO3,C3,2026-07-02,12.00\nO4,C4,2026-07-02,twelve\n", encoding="utf-8"
    )
    db = tmp_path / "bad.duckdb"
    result = invoke("run", "--orders", folder, "--period", PERIOD, "--db", db, env=FAST)
    assert result.exit_code == 1
    assert "1 of 2 file(s) break the order contract" in result.stderr
    assert "2026-07-02.csv" in result.stderr
    assert "line 3" in result.stderr
    assert "twelve" in result.stderr
    stored = query(db, "SELECT source_file, source_line, failure_case FROM validation_failures")
    assert stored.values.tolist() == [["2026-07-02.csv", 3, "twelve"]]
    assert query(db, "SELECT status FROM runs")["status"].tolist() == ["failed"]


def test_a_folder_whose_files_differ_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2026-07-01,10\n", encoding="utf-8")
    (folder / "b.csv").write_text("order_id;customer_id;order_date;amount\nO2;C2;2026-07-01;10\n", encoding="utf-8")
    result = invoke("run", "--orders", folder, "--period", PERIOD, "--db", tmp_path / "w.duckdb", env=FAST)
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()
    assert any("b.csv" in line and "line 1" in line for line in error), result.stderr
    assert not (tmp_path / "w.duckdb").exists()  # told before Prefect starts: nothing made


def test_bad_rows_of_a_table_are_named_by_primary_key(shop: PostgresServer, tmp_path: Path) -> None:
    shop.create_orders_table("sources", "public.broken")
    shop.copy_rows("sources", "public.broken", [("C1", "2026-07-01", "10.00", "O1"), ("", "2026-07-02", "5.00", "O2")])
    shop.sql("GRANT SELECT ON public.broken TO analyst", "sources")
    db = tmp_path / "broken.duckdb"
    result = invoke(
        "run", "--orders", url(shop, table="public.broken"), "--period", PERIOD, "--db", db,
        env={**FAST, "PGPASSWORD": PASSWORD},
    )  # fmt: skip
    assert result.exit_code == 1
    assert "line_id" in result.stderr
    assert "row" in result.stderr
    stored = query(db, "SELECT column_name, source_key, source_line FROM validation_failures")
    assert stored["source_key"].tolist() == ["2"]
    assert stored["column_name"].tolist() == ["customer_id"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unreachable", "cannot reach the PostgreSQL server"),
        ("authentication", "the server refused the credentials"),
        ("table missing", "has no table 'ordrs'"),
        ("permission", "permission denied: role 'stranger' may not read"),
        ("column missing", "no amount column: it has ['customer_id', 'order_date']"),
    ],
)
def test_a_database_error_is_one_error_line_before_prefect_starts(
    shop: PostgresServer, tmp_path: Path, case: str, expected: str
) -> None:
    orders, extra, password = url(shop), [], PASSWORD
    if case == "unreachable":
        orders = orders.replace(f":{shop.port}/", f":{free_port()}/")
    elif case == "authentication":
        password = "wrong"
    elif case == "table missing":
        orders = url(shop, table="public.ordrs")
    elif case == "permission":
        shop.sql("DO $$ BEGIN CREATE ROLE stranger LOGIN PASSWORD 'x'; EXCEPTION WHEN duplicate_object THEN END $$")
        orders, password = orders.replace("analyst@", "stranger@"), "x"
    elif case == "column missing":
        orders, extra = url(shop, table=None), ["--orders-query", "SELECT customer_id, order_date FROM orders"]
    db = tmp_path / "w.duckdb"
    result = invoke("run", "--orders", orders, *extra, "--db", db, env={**FAST, "PGPASSWORD": password})
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert any(line.strip().startswith("hint:") for line in lines), result.stderr
    assert "flow run" not in result.stderr.lower()  # refused by the pre-check, not by a run
    assert not db.exists()  # nothing made, nothing published
    assert password not in result.stderr or password == "x"


def test_a_backfill_reads_the_table_once_up_to_its_last_period(shop: PostgresServer, tmp_path: Path) -> None:
    log = shop.folder / "server.log"
    shop.sql("ALTER DATABASE sources SET log_statement = 'all'")
    try:
        start = log.stat().st_size
        result = invoke(
            "backfill", "--from", "2026Q1", "--to", "2026Q2", "--orders", url(shop), "--db", tmp_path / "b.duckdb",
            env={**FAST, "PGPASSWORD": PASSWORD},
        )  # fmt: skip
        executed = log.read_bytes()[start:].decode("utf-8", errors="replace")
    finally:
        shop.sql("ALTER DATABASE sources RESET log_statement")
    assert result.exit_code == 0, result.output
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", executed)  # one per log entry; a statement may span lines
    copies = [e for e in entries if " LOG:  execute" in e and "COPY (" in e and '"public"."orders"' in e]
    assert len(copies) == 1, executed  # one read for both quarters
    assert "$2 = '2026-06-30'" in executed  # up to the last quarter's end, filtered on the server
    periods = query(tmp_path / "b.duckdb", "SELECT period, status, orders_after_end FROM runs ORDER BY period")
    assert periods[["period", "status"]].values.tolist() == [["2026Q1", "succeeded"], ["2026Q2", "succeeded"]]
    assert periods["orders_after_end"].isna().all()  # not read, so not counted
