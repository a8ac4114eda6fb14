"""The warehouse door: migrations, storage and schema versions, transactions, clear errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import WarehouseVersionError, connect, transaction
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
