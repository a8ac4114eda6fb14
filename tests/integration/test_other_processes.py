"""Other processes holding DuckDB files: someone holding the private warehouse (the writer waits,
then gives up clearly), the BI file held read-write, and DuckDB 1.x readers of the BI surface."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect import flow

from segmentation.periods import Period
from segmentation.settings import make_settings
from tasks.runs import ABANDONED, record_failure, start_run
from tests.helpers import OLD_DUCKDB, Warehouse, hold_read_only, query, run_customers
from warehouse import WarehouseLocked, connect, writer_lock
from warehouse.handle import Warehouse as WarehouseHandle


def run_mall(db: Path, mall_csv: Path, period: str = "2026Q1"):
    return run_customers(db, period, source=mall_csv)


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


def snapshot(db: Path) -> dict[str, list]:
    return {
        table: query(db, f"SELECT * FROM {table} ORDER BY ALL").astype(str).values.tolist()  # noqa: S608
        for table in ("runs", "customer_segments", "segment_profiles", "k_selection", "raw_customers")
    }


def test_run_waits_for_someone_holding_the_private_warehouse_and_succeeds(
    workdir: Path, mall_run: Warehouse, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = mall_run.db
    monkeypatch.setenv("SEGMENT_LOCK_TIMEOUT_S", "60")
    reader = hold_read_only(db, 4)
    started = time.monotonic()
    result = run_mall(db, mall_csv, "2026Q2")
    reader.wait()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 2
    assert query(db, "SELECT period FROM current_run")["period"].tolist() == ["2026Q2"]


def test_run_gives_up_on_someone_who_keeps_the_private_warehouse_and_changes_nothing(
    workdir: Path, mall_run: Warehouse, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = mall_run.db
    before = snapshot(db)
    monkeypatch.setenv("SEGMENT_LOCK_TIMEOUT_S", "2")
    reader = hold_read_only(db, 60)
    try:
        result = run_mall(db, mall_csv, "2026Q2")
    finally:
        reader.kill()
        reader.wait()
    assert result.exit_code == 1
    assert f"(PID {reader.pid}) and was not released within 2s; nothing was written" in result.stderr
    assert "This file is the pipeline's own: BI tools read the BI surface beside it" in result.stderr
    assert snapshot(db) == before


OLD_READER = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
views = [v for (v,) in con.execute(
    "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()").fetchall()]
rows = {v: len(con.execute(f'SELECT * FROM "{v}"').fetchall()) for v in views}
undocumented = con.execute(
    "SELECT count(*) FROM duckdb_columns() WHERE NOT internal AND database_name = current_database() "
    "AND table_name <> 'serving_info' "
    "AND coalesce(comment, '') = ''").fetchone()[0]
bare_views = con.execute(
    "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND database_name = current_database() "
    "AND coalesce(comment, '') = ''").fetchone()[0]
dates = con.execute("SELECT DISTINCT period_start, period_end FROM current_segments").fetchall()
print(json.dumps({"version": duckdb.__version__, "rows": rows, "undocumented": undocumented,
                  "bare_views": bare_views, "dates": [[str(a), str(b)] for a, b in dates]}))
"""


def test_duckdb_1x_reader_reads_every_view_and_its_comments(
    old_duckdb: Path, workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
    assert run_mall(db, mall_csv, "2026Q2").exit_code == 0
    env = {**os.environ, "PYTHONPATH": str(old_duckdb)}
    bi = db.with_name(f"{db.stem}_bi.duckdb")
    result = subprocess.run([sys.executable, "-c", OLD_READER, str(bi)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["version"] == OLD_DUCKDB
    assert len(seen["rows"]) >= 20  # every table and view of the surface
    assert seen["rows"]["current_segments"] == 200
    assert seen["rows"]["current_profiles"] == 5
    assert seen["rows"]["period_segments"] == 400
    assert (seen["undocumented"], seen["bare_views"]) == (0, 0)
    assert seen["dates"] == [["2026-04-01", "2026-06-30"]]


HOLD_READ_WRITE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])  # read-write, as a DuckDB CLI opened without -readonly
print("held", flush=True)
time.sleep(300)
"""


def test_a_run_with_the_bi_file_held_read_write_succeeds_and_writes_its_report(
    workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
    bi = db.with_name(f"{db.stem}_bi.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_READ_WRITE, str(bi)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run_mall(db, mall_csv, "2026Q2")
        assert holder.poll() is None  # it held the BI file all along
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("Report: ")]
    page = Path(line.removeprefix("Report: "))
    assert page.is_file()
    assert "2026Q2" in page.read_text(encoding="utf-8")


def test_a_run_that_fails_waiting_for_a_lock_keeps_its_real_cause(workdir: Path, db: Path, mall_csv: Path) -> None:
    """The lock is held mid-run: recording the failure waits for it too. The cause is left beside
    the warehouse and the next run records it, instead of 'killed, or its machine went down'."""
    settings = make_settings(db_path=db, lock_timeout_s=1)
    locked = WarehouseLocked(
        f"warehouse {db} is held by python3 (PID 1) and was not released within 1s; nothing was written."
    )

    @flow
    def fails_while_locked() -> str:
        run_id = start_run(settings, WarehouseHandle.of(settings), Period.parse("2026Q1"), str(mall_csv), None)
        reader = hold_read_only(db, 30)
        try:
            record_failure(WarehouseHandle.of(settings), run_id, locked)  # waits 1 s, then leaves the cause
        finally:
            reader.kill()
            reader.wait()
        return run_id

    run_id = fails_while_locked()
    assert query(db, "SELECT status FROM runs")["status"].tolist() == ["running"]
    result = run_mall(db, mall_csv, "2026Q2")
    assert result.exit_code == 0, result.output
    error = query(db, "SELECT status, error FROM runs WHERE run_id = ?", [run_id]).iloc[0]
    assert error.status == "failed"
    assert error.error != ABANDONED
    assert error.error.startswith(f"warehouse {db} is held by python3 (PID 1) and was not released within 1s; run ")
    assert "nothing was written" not in error.error
    assert "(recorded by the next run: warehouse" in error.error
