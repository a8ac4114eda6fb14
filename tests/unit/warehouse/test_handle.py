"""The warehouse handle: made from settings, opens and closes its own connections, never holds one."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from segmentation.settings import make_settings
from warehouse import Warehouse, WarehouseError, sql
from warehouse.connection import code_schema_version


@pytest.fixture(scope="session")
def prefect_server() -> None:
    """Unit tests need no Prefect server: this replaces the session-wide one tests/conftest.py starts."""
    return None


def insert_run(con: object, run_id: str) -> None:
    con.execute(
        "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, source_path, features) "
        "VALUES (?, '2026Q1', ?, ?, 'running', ?, 'customers.csv', 'annual_income,spending_score')",
        [run_id, date(2026, 1, 1), date(2026, 3, 31), datetime(2026, 4, 1, 9)],
    )


def count_runs(handle: Warehouse) -> int:
    with handle.read() as con:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]


def test_of_takes_paths_lock_timeout_and_storage_version_from_settings(tmp_path: Path) -> None:
    settings = make_settings(db_path=tmp_path / "w.duckdb", lock_timeout_s=3.5, storage_version="v1.1.0")
    handle = Warehouse.of(settings)
    assert handle == Warehouse(tmp_path / "w.duckdb", 3.5, tmp_path / "w_bi.duckdb", "v1.1.0")


def test_handle_is_frozen_and_hashable(tmp_path: Path) -> None:
    handle = Warehouse.of(make_settings(db_path=tmp_path / "w.duckdb"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        handle.path = tmp_path / "other.duckdb"  # type: ignore[misc]
    same = Warehouse.of(make_settings(db_path=tmp_path / "w.duckdb"))
    assert hash(handle) == hash(same)
    assert {handle, same} == {handle}  # usable as a cache key or a set member: no live connection inside


def test_read_refuses_a_missing_warehouse_and_makes_no_file(tmp_path: Path) -> None:
    handle = Warehouse(tmp_path / "missing.duckdb")
    assert not handle.exists
    with pytest.raises(WarehouseError, match=r"missing\.duckdb does not exist: run `segment run` first"), handle.read():
        pass
    assert not handle.path.exists()


def test_write_makes_and_migrates_a_new_warehouse(tmp_path: Path) -> None:
    handle = Warehouse(tmp_path / "deeper" / "w.duckdb")
    with handle.write() as con:
        assert con.execute(sql("schema/schema_version")).fetchone()[0] == code_schema_version()
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'w'").fetchone()[0]
        assert tags["storage_version"].startswith("v1.0.0")
    assert handle.exists
    with handle.read() as con:  # read-only from now on, and the migrations are there
        assert con.execute(sql("schema/schema_version")).fetchone()[0] == code_schema_version()


def test_transaction_commits(tmp_path: Path) -> None:
    handle = Warehouse(tmp_path / "w.duckdb")
    with handle.transaction() as con:
        insert_run(con, "kept")
    assert count_runs(handle) == 1


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    handle = Warehouse(tmp_path / "w.duckdb")

    def half_written() -> None:
        with handle.transaction() as con:
            insert_run(con, "half-written")
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
            raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError, match="audit failed"):
        half_written()
    assert count_runs(handle) == 0


def test_read_bi_on_a_missing_surface_says_how_to_make_it(tmp_path: Path) -> None:
    handle = Warehouse.of(make_settings(db_path=tmp_path / "w.duckdb"))
    missing = r"BI surface .*w_bi\.duckdb does not exist: run `segment run`"
    with pytest.raises(WarehouseError, match=missing), handle.read_bi():
        pass


def test_read_bi_needs_a_bi_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without a BI surface path"), Warehouse(tmp_path / "w.duckdb").read_bi():
        pass


def test_a_bi_only_handle_refuses_the_warehouse(tmp_path: Path) -> None:
    handle = Warehouse.of_bi(tmp_path / "w_bi.duckdb")
    assert handle.bi_path == tmp_path / "w_bi.duckdb"
    assert not handle.exists
    for opened in (handle.read, handle.write, handle.transaction):
        with pytest.raises(ValueError, match="BI surface alone"), opened():
            pass
