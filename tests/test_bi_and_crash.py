"""People holding the private warehouse, old DuckDB readers of the BI surface, and crashes:
nothing partial is ever seen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import kill_when_logged, query
from tests.test_warehouse import hold_read_only

runner = CliRunner()
OLD_DUCKDB = "1.1.3"  # the 1.x line many BI drivers still bundle
OLD_DUCKDB_DIR = Path(__file__).resolve().parents[1] / ".old-duckdb"


def run_mall(db: Path, mall_csv: Path, period: str = "2026Q1"):
    return runner.invoke(app, ["run", "--source", str(mall_csv), "--period", period, "--db", str(db)])


def snapshot(db: Path) -> dict[str, list]:
    return {
        table: query(db, f"SELECT * FROM {table} ORDER BY ALL").astype(str).values.tolist()  # noqa: S608
        for table in ("runs", "customer_segments", "segment_profiles", "k_selection", "raw_customers")
    }


def test_run_waits_for_someone_holding_the_private_warehouse_and_succeeds(
    workdir: Path, db: Path, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_mall(db, mall_csv).exit_code == 0
    monkeypatch.setenv("SEGMENT_LOCK_TIMEOUT_S", "60")
    reader = hold_read_only(db, 4)
    started = time.monotonic()
    result = run_mall(db, mall_csv, "2026Q2")
    reader.wait()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 2
    assert query(db, "SELECT period FROM current_run")["period"].tolist() == ["2026Q2"]


def test_run_gives_up_on_someone_who_keeps_the_private_warehouse_and_changes_nothing(
    workdir: Path, db: Path, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_mall(db, mall_csv).exit_code == 0
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


def test_sigkill_mid_publish_leaves_nothing_partial_and_the_next_run_cleans_up(
    prefect_server: str, workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run_mall(db, mall_csv).exit_code == 0
    before = query(db, "SELECT * FROM current_segments ORDER BY customer_id")
    returncode = kill_when_logged(
        prefect_server,
        *("run", "--source", str(mall_csv), "--period", "2026Q2", "--db", str(db)),
        cwd=workdir,
        marker="test pause before_commit",
        SEGMENT_TEST_PAUSE="before_commit=120",
    )
    assert returncode == -signal.SIGKILL
    killed = query(db, "SELECT run_id, status FROM runs WHERE period = '2026Q2'")
    assert killed["status"].tolist() == ["running"]
    killed_id = killed["run_id"].item()
    for table in ("customer_segments", "segment_profiles", "k_selection"):
        count = query(db, f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", [killed_id])["n"].item()  # noqa: S608
        assert count == 0, table
    assert query(db, "SELECT * FROM current_segments ORDER BY customer_id").equals(before)

    assert run_mall(db, mall_csv, "2026Q2").exit_code == 0
    after = query(db, "SELECT run_id, status, error FROM runs WHERE period = '2026Q2' ORDER BY started_at")
    assert after["status"].tolist() == ["failed", "succeeded"]
    assert after["run_id"].iloc[0] == killed_id
    assert after["error"].iloc[0].startswith("abandoned")
    assert set(query(db, "SELECT run_id FROM current_segments")["run_id"]) == {after["run_id"].iloc[1]}


@pytest.fixture(scope="session")
def old_duckdb() -> Path:
    """DuckDB 1.x in a folder of its own, as a BI driver would bundle it: `.ci/run` installs it; tests
    never download it."""
    if not (OLD_DUCKDB_DIR / "duckdb").is_dir():
        pytest.skip(
            f"DuckDB {OLD_DUCKDB} is not in {OLD_DUCKDB_DIR}: pip install --target .old-duckdb duckdb=={OLD_DUCKDB}"
        )
    return OLD_DUCKDB_DIR


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
    old_duckdb: Path, workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run_mall(db, mall_csv).exit_code == 0
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


def test_export_command_writes_parquet(workdir: Path, db: Path, mall_csv: Path) -> None:
    import pyarrow.parquet as pq

    assert run_mall(db, mall_csv).exit_code == 0
    result = runner.invoke(app, ["export", "--format", "parquet", "--out", str(workdir / "out"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(workdir / "out" / "current_segments.parquet").num_rows == 200
    assert pq.read_table(workdir / "out" / "current_profiles.parquet").num_rows == 5
    bad = runner.invoke(app, ["export", "--format", "csv", "--out", str(workdir / "out"), "--db", str(db)])
    assert bad.exit_code == 1
    assert "use parquet" in bad.stderr


HOLD_READ_WRITE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])  # read-write, as a DuckDB CLI opened without -readonly
print("held", flush=True)
time.sleep(300)
"""


def test_a_run_with_the_bi_file_held_read_write_succeeds_and_writes_its_report(
    workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run_mall(db, mall_csv).exit_code == 0
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
