"""The warehouse door: migrations, versions, transactions, locks, hardened readers, export."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse import WarehouseLocked, WarehouseVersionError, connect, transaction, writer_lock
from warehouse import connection as wh

VIEWS = {"period_runs", "current_run", "current_segments", "current_profiles", "period_segments", "run_history"}
TABLES = {"runs", "raw_customers", "validation_failures", "customer_segments", "segment_profiles", "k_selection"}


def names(con: duckdb.DuckDBPyConnection, kind: str) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_type = ?", [kind]).fetchall()
    return {r[0] for r in rows}


def test_new_warehouse_gets_every_migration_and_the_chosen_storage_version(db: Path) -> None:
    with connect(db) as con:
        versions = con.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
        assert versions == [(v, name) for v, name, _ in wh.migrations()]
        assert versions[:4] == [(1, "core_tables"), (2, "bi_views"), (3, "k_stability"), (4, "text_ids_and_sources")]
        assert names(con, "BASE TABLE") >= TABLES
        assert names(con, "VIEW") >= VIEWS
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'warehouse'").fetchone()[0]
        assert tags["storage_version"].startswith("v1.0.0")


def test_older_warehouse_is_upgraded(db: Path) -> None:
    first = wh.migrations()[0]
    con = duckdb.connect(str(db))
    con.execute(wh.sql("schema/schema_migrations_create"))
    con.execute(first[2])
    con.execute(wh.sql("schema/schema_migrations_insert"), [first[0], first[1], wh.utc_now()])
    con.close()
    with connect(db) as con:
        assert con.execute(wh.sql("schema/schema_version")).fetchone()[0] == wh.code_schema_version()
        assert names(con, "VIEW") >= VIEWS
        columns = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'k_selection'")
        assert ("stability",) in columns.fetchall()


def test_integer_customer_ids_of_an_older_warehouse_become_text_and_keep_their_number(db: Path) -> None:
    con = duckdb.connect(str(db))
    con.execute(wh.sql("schema/schema_migrations_create"))
    for version, name, text in wh.migrations()[:3]:
        con.execute(text)
        con.execute(wh.sql("schema/schema_migrations_insert"), [version, name, wh.utc_now()])
    con.execute("INSERT INTO customer_segments VALUES ('r1', '2025Q4', 42, 1, 'A'), ('r1', '2025Q4', 7, 2, 'B')")
    con.execute(
        "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, source_path, "
        "features) VALUES ('r1', '2025Q4', DATE '2025-10-01', DATE '2025-12-31', 'succeeded', "
        "TIMESTAMP '2026-01-01 06:00', TIMESTAMP '2026-01-01 06:01', 'x.csv', 'annual_income')"
    )
    con.close()
    with connect(db) as con:
        rows = con.execute("SELECT customer_id, customer_id_int FROM current_segments ORDER BY 2").fetchall()
        kind = con.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'customer_segments' "
            "AND column_name = 'customer_id'"
        ).fetchone()[0]
    assert rows == [("7", 7), ("42", 42)]
    assert kind == "VARCHAR"


def test_a_failing_migration_leaves_the_warehouse_as_it_was(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with connect(db):
        pass
    known = wh.migrations()
    broken = (
        wh.code_schema_version() + 1,
        "broken",
        "CREATE TABLE half_done (a INTEGER); SELECT * FROM no_such_table;",
    )
    monkeypatch.setattr(wh, "migrations", lambda: [*known, broken])
    with pytest.raises(duckdb.CatalogException), connect(db):
        pass
    monkeypatch.undo()
    with connect(db, read_only=True) as con:
        assert con.execute(wh.sql("schema/schema_version")).fetchone()[0] == wh.code_schema_version()
        assert "half_done" not in names(con, "BASE TABLE")


def test_newer_warehouse_is_refused_by_writers_and_readers(db: Path) -> None:
    with connect(db) as con:
        con.execute(wh.sql("schema/schema_migrations_insert"), [99, "from_the_future", wh.utc_now()])
    newer = rf"schema version 99, newer than this pipeline's {wh.code_schema_version()}"
    with pytest.raises(WarehouseVersionError, match=newer), connect(db):
        pass
    with pytest.raises(WarehouseVersionError, match="upgrade the pipeline to read it"), connect(db, read_only=True):
        pass


def insert_then_fail(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        con.execute("INSERT INTO k_selection VALUES ('r', 2, 1.0, 0.5, 1.0, 1.0, true, 0.9)")
        raise RuntimeError("boom")


def test_transaction_rolls_back_everything_on_error(db: Path) -> None:
    with connect(db) as con:
        with pytest.raises(RuntimeError, match="boom"):
            insert_then_fail(con)
        assert con.execute("SELECT count(*) FROM k_selection").fetchone()[0] == 0


def test_reading_a_missing_warehouse_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with (
        pytest.raises(wh.WarehouseError, match="does not exist: run `segment run` first"),
        connect(missing, read_only=True),
    ):
        pass


def hold_read_only(db: Path, seconds: float) -> subprocess.Popen:
    """A BI reader in another process, holding the file read-only."""
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('SELECT count(*) FROM runs').fetchall(); print('holding', flush=True); "
        "time.sleep(float(sys.argv[2]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_writer_waits_for_a_reader_then_gets_in(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    with connect(db):
        pass
    reader = hold_read_only(db, 3)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), connect(db, lock_timeout_s=60) as con:
        waited = time.monotonic() - started
        con.execute("INSERT INTO k_selection VALUES ('r', 2, 1.0, 0.5, 1.0, 1.0, true, 0.9)")
    reader.wait()
    assert waited > 1
    assert f"(PID {reader.pid})" in caplog.text
    assert "waiting up to 60s" in caplog.text


def test_writer_gives_up_clearly_when_the_reader_stays(db: Path) -> None:
    with connect(db):
        pass
    reader = hold_read_only(db, 30)
    try:
        message = rf"held by .* \(PID {reader.pid}\) and was not released within 1s"
        with pytest.raises(WarehouseLocked, match=message), connect(db, lock_timeout_s=1):
            pass
    finally:
        reader.kill()
        reader.wait()


def test_pipeline_writer_lock_is_exclusive_and_bounded(db: Path) -> None:
    with writer_lock(db, wait_s=0):
        code = (
            "import sys; from warehouse import writer_lock\n"
            "try:\n    with writer_lock(sys.argv[1], wait_s=0.5): print('got it')\n"
            "except Exception as e: print(type(e).__name__, e)"
        )
        other = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True)
    assert other.stdout.startswith("WarehouseLocked another pipeline run has been writing to")
    assert "another pipeline run is writing to" in other.stderr
    assert "waiting up to 0.5s for it to finish" in other.stderr


def test_export_writes_the_bi_views_as_parquet(db: Path, tmp_path: Path) -> None:
    from warehouse.export import export_parquet
    from warehouse.serving import sync

    with connect(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, source_path, "
            "features) VALUES ('r1', '2026Q1', DATE '2026-01-01', DATE '2026-03-31', 'succeeded', "
            "TIMESTAMP '2026-04-01 06:00', TIMESTAMP '2026-04-01 06:01', 'x.csv', 'annual_income')"
        )
        con.execute(
            "INSERT INTO customer_segments (run_id, period, customer_id, segment_id, segment_name) "
            "VALUES ('r1', '2026Q1', '7', 1, 'A'), ('r1', '2026Q1', 'C-8', 2, 'B')"
        )
    bi = sync(db, tmp_path / "bi.duckdb").bi_path
    written = dict(export_parquet(bi, tmp_path / "out"))
    assert written[tmp_path / "out" / "current_segments.parquet"] == 2
    table = pq.read_table(tmp_path / "out" / "current_segments.parquet")
    assert sorted(table.column("customer_id").to_pylist()) == ["7", "C-8"]
    assert pq.read_table(tmp_path / "out" / "run_history.parquet").num_rows == 1
