"""The BI surface: BI tools read it while runs go on, and it always answers as the warehouse does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy
from typer.testing import CliRunner

from flows.cli import app
from segmentation.sample import generate_customers
from tests.conftest import kill_when_logged, query
from warehouse import connect_bi
from warehouse.serving import data_dir

runner = CliRunner()


def bi_of(db: Path) -> Path:
    return db.with_name(f"{db.stem}_bi.duckdb")


def run(db: Path, source: Path, period: str, *extra: str):
    result = runner.invoke(app, ["run", "--source", str(source), "--period", period, "--db", str(db), *extra])
    return result


def served_names(db: Path) -> list[str]:
    """Every view of the warehouse and every table the surface serves."""
    views = query(db, "SELECT view_name FROM duckdb_views() WHERE NOT internal")["view_name"].tolist()
    tables = query(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_name NOT IN ('raw_customers', 'schema_migrations')",
    )["table_name"].tolist()
    return sorted(views + tables)


def assert_surface_matches_warehouse(db: Path) -> None:
    bi = bi_of(db)
    for name in served_names(db):
        statement = f"SELECT * FROM {name} ORDER BY ALL"  # noqa: S608 (names from the catalog)
        expected, served = query(db, statement), query(bi, statement)
        assert list(served.columns) == list(expected.columns), name
        pd.testing.assert_frame_equal(served, expected, obj=name)
        described = f"DESCRIBE {name}"
        assert query(bi, described)["column_type"].tolist() == query(db, described)["column_type"].tolist(), name


def test_surface_answers_every_view_as_the_warehouse_after_each_kind_of_run(
    workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    assert_surface_matches_warehouse(db)
    assert run(db, mall_csv, "2026Q1").exit_code == 0  # a rerun replaces what is current
    assert_surface_matches_warehouse(db)
    assert run(db, mall_csv, "2025Q4").exit_code == 0  # a backfilled older period does not
    assert_surface_matches_warehouse(db)
    bad = workdir / "bad.csv"
    bad.write_text(mall_csv.read_text().replace(",Male,", ",M,", 1))
    assert run(db, bad, "2026Q2").exit_code == 1  # a failed run shows in run_history and validation_failures
    assert_surface_matches_warehouse(db)
    assert query(bi_of(db), "SELECT count(*) AS n FROM validation_failures")["n"].item() == 1
    assert query(bi_of(db), "SELECT period FROM current_run")["period"].tolist() == ["2026Q1"]
    undocumented = query(
        bi_of(db),
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND table_name <> 'serving_info' "
        "AND coalesce(comment, '') = '' UNION ALL SELECT view_name, NULL FROM duckdb_views() "
        "WHERE NOT internal AND coalesce(comment, '') = ''",
    )
    assert undocumented.empty, undocumented  # BI field help: warehouse/sql/serving/bi_comments.sql


def test_the_run_summary_names_the_bi_file_on_a_line_of_its_own(workdir: Path, db: Path, mall_csv: Path) -> None:
    result = run(db, mall_csv, "2026Q1")
    assert result.exit_code == 0, result.output
    assert f"BI tools read: {bi_of(db).resolve()}" in result.stdout.splitlines()


HOLDER = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT run_id FROM current_run").fetchone()[0], flush=True)
for line in sys.stdin:  # each line asks again on the same connection
    print(json.dumps([con.execute("SELECT run_id, period FROM current_run").fetchone(),
                      con.execute("SELECT count(*), count(DISTINCT run_id) FROM current_segments").fetchone()]),
          flush=True)
"""


def test_a_reader_holding_the_surface_never_blocks_runs_and_sees_each_new_run(
    workdir: Path, db: Path, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(db, mall_csv, "2025Q4").exit_code == 0
    monkeypatch.setenv("SEGMENT_LOCK_TIMEOUT_S", "0")  # any wait for a lock would fail the run at once
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(bi_of(db))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        first_seen = holder.stdout.readline().strip()
        for period in ("2026Q1", "2026Q2"):
            result = run(db, mall_csv, period)
            assert result.exit_code == 0, result.output
        for seed, period in enumerate(("2026Q3", "2026Q4")):
            generate_customers(150, seed=seed).to_csv(workdir / f"c_{period}.csv", index=False)
        backfill = runner.invoke(
            app,
            [
                "backfill",
                "--from",
                "2026Q3",
                "--to",
                "2026Q4",
                "--source",
                str(workdir / "c_{period}.csv"),
                "--db",
                str(db),
            ],
        )
        assert backfill.exit_code == 0, backfill.output
        holder.stdin.write("again\n")
        holder.stdin.flush()
        held = holder.stdout.readline().strip()
        assert holder.poll() is None  # the reader held the file all along
    finally:
        holder.kill()
        holder.wait()
    newest = query(db, "SELECT run_id FROM current_run")["run_id"].item()
    assert first_seen != newest
    assert json.loads(held) == [[newest, "2026Q4"], [150, 1]]
    fresh = connect_bi(bi_of(db))
    try:
        assert fresh.execute("SELECT run_id FROM current_run").fetchone()[0] == newest
        assert fresh.execute("SELECT count(*) FROM period_runs").fetchone()[0] == 5
    finally:
        fresh.close()
    assert query(db, "SELECT count(*) AS n FROM runs WHERE status = 'succeeded'")["n"].item() == 5


def test_superset_reads_the_surface_through_sqlalchemy_read_only(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    engine = sqlalchemy.create_engine(f"duckdb:///{bi_of(db).resolve()}?access_mode=read_only")
    try:
        inspector = sqlalchemy.inspect(engine)
        assert {"current_segments", "current_profiles"} <= set(inspector.get_view_names())
        columns = [c["name"] for c in inspector.get_columns("current_segments")]
        assert columns[:3] == ["customer_id", "segment_id", "segment_name"]
        with engine.connect() as con:
            segments = con.execute(sqlalchemy.text("SELECT count(*) FROM current_segments")).scalar_one()
            names = con.execute(sqlalchemy.text("SELECT segment_name FROM current_profiles")).scalars().all()
    finally:
        engine.dispose()
    assert segments == 200
    assert len(names) == 5


def test_sigkill_between_the_warehouse_commit_and_the_surface_update(
    prefect_server: str, workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    before = query(bi_of(db), "SELECT * FROM current_segments ORDER BY customer_id")
    kill_when_logged(
        prefect_server,
        *("run", "--source", str(mall_csv), "--period", "2026Q2", "--db", str(db)),
        cwd=workdir,
        marker="test pause before_serving",
        SEGMENT_TEST_PAUSE="before_serving=120",
    )
    assert query(db, "SELECT status FROM runs WHERE period = '2026Q2'")["status"].tolist() == ["succeeded"]
    assert query(bi_of(db), "SELECT * FROM current_segments ORDER BY customer_id").equals(before)
    assert query(bi_of(db), "SELECT count(*) AS n FROM runs")["n"].item() == 1

    assert run(db, mall_csv, "2026Q3").exit_code == 0
    assert_surface_matches_warehouse(db)
    assert query(bi_of(db), "SELECT count(*) AS n FROM period_runs")["n"].item() == 3


def test_serve_rebuild_recreates_a_lost_surface(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    assert run(db, mall_csv, "2026Q2").exit_code == 0
    bi_of(db).unlink()
    for path in sorted(data_dir(bi_of(db)).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    result = runner.invoke(app, ["serve", "--rebuild", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2 run(s) published" in result.stdout
    assert_surface_matches_warehouse(db)


def test_a_newer_warehouse_schema_rebuilds_the_surface(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    state_file = data_dir(bi_of(db)) / "serving.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps(state | {"schema_version": state["schema_version"] - 1}))
    old_inode = bi_of(db).stat().st_ino
    result = runner.invoke(app, ["serve", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.stdout
    assert bi_of(db).stat().st_ino != old_inode  # a new file, renamed over the old one
    assert_surface_matches_warehouse(db)


def test_hardened_reader_reads_views_but_no_other_file(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    con = connect_bi(bi_of(db))
    try:
        assert con.execute("SELECT count(*) FROM current_segments").fetchone() == (200,)
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_csv(?)", [str(mall_csv)])
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()


def test_surface_in_a_folder_whose_name_has_a_quote(tmp_path: Path, mall_csv: Path, monkeypatch) -> None:
    folder = tmp_path / "it's; DROP VIEW runs; --"
    folder.mkdir()
    monkeypatch.chdir(folder)
    db = folder / "w.duckdb"
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    assert query(bi_of(db), "SELECT count(*) AS n FROM current_segments")["n"].item() == 200


def test_a_moved_surface_is_rebuilt_by_the_next_run(tmp_path: Path, mall_csv: Path, monkeypatch) -> None:
    before = tmp_path / "before"
    before.mkdir()
    monkeypatch.chdir(before)
    assert run(before / "w.duckdb", mall_csv, "2026Q1").exit_code == 0
    after = tmp_path / "after"
    before.rename(after)
    monkeypatch.chdir(after)
    db = after / "w.duckdb"
    with pytest.raises(duckdb.IOException, match="No files found"):
        query(bi_of(db), "SELECT count(*) FROM current_segments")  # its views still read the old place
    listed = runner.invoke(app, ["runs", "--db", str(db)])  # the project's own readers read it where it is
    assert listed.exit_code == 0, listed.output
    assert "2026Q1" in listed.stdout
    old_inode = bi_of(db).stat().st_ino
    result = run(db, mall_csv, "2026Q2")
    assert result.exit_code == 0, result.output
    assert bi_of(db).stat().st_ino != old_inode  # the run built a new BI file, and says why
    assert "(rebuilt: " in result.stdout
    assert query(bi_of(db), "SELECT period FROM current_run")["period"].tolist() == ["2026Q2"]
    assert query(bi_of(db), "SELECT count(*) AS n FROM period_segments")["n"].item() == 400
    assert_surface_matches_warehouse(db)


def test_a_copied_surface_shows_the_copys_runs_and_leaves_the_original_alone(
    tmp_path: Path, mall_csv: Path, monkeypatch
) -> None:
    original = tmp_path / "original"
    original.mkdir()
    monkeypatch.chdir(original)
    assert run(original / "w.duckdb", mall_csv, "2026Q1").exit_code == 0
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    untouched = {path: path.stat().st_mtime_ns for path in original.rglob("*")}
    monkeypatch.chdir(copy)
    result = runner.invoke(app, ["serve", "--db", str(copy / "w.duckdb")])
    assert result.exit_code == 0, result.output
    assert f"BI surface rebuilt (the surface was moved or copied here from {original / 'w_bi.duckdb'})" in result.stdout
    assert run(copy / "w.duckdb", mall_csv, "2026Q2").exit_code == 0
    assert query(bi_of(copy / "w.duckdb"), "SELECT period FROM current_run")["period"].tolist() == ["2026Q2"]
    assert query(bi_of(original / "w.duckdb"), "SELECT period FROM current_run")["period"].tolist() == ["2026Q1"]
    assert {path: path.stat().st_mtime_ns for path in original.rglob("*")} == untouched
    assert_surface_matches_warehouse(copy / "w.duckdb")


def test_views_read_the_folder_where_bi_tools_mount_it(tmp_path: Path, mall_csv: Path, monkeypatch) -> None:
    real = tmp_path / "real"
    real.mkdir()
    monkeypatch.chdir(real)
    mount = tmp_path / "container" / "data"  # where a BI container sees `real`
    monkeypatch.setenv("SEGMENT_BI_MOUNT_PATH", str(mount))
    db = real / "w.duckdb"
    assert run(db, mall_csv, "2026Q1").exit_code == 0  # nothing is at the mount path here: the run still serves
    assert query(bi_of(db), "SELECT segment_bi_folder() AS f")["f"].item() == str(mount / "w_bi" / "gen-1")
    mount.parent.mkdir()
    mount.symlink_to(real)
    through_mount = mount / "w_bi.duckdb"
    assert query(through_mount, "SELECT count(*) AS n FROM current_segments")["n"].item() == 200
    assert query(through_mount, "SELECT count(*) AS n FROM current_profiles")["n"].item() == 5
    mount.unlink()
    with pytest.raises(duckdb.IOException, match="No files found"):
        query(bi_of(db), "SELECT count(*) FROM current_segments")
    listed = runner.invoke(app, ["runs", "--db", str(db)])  # the project's own readers read where they are
    assert listed.exit_code == 0, listed.output
    assert "2026Q1" in listed.stdout


def test_commands_on_a_broken_surface_say_so_in_one_line(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    (generation,) = data_dir(bi_of(db)).glob("gen-*")
    shutil.rmtree(generation / "customer_segments")
    for command in (["runs"], ["show"], ["report"], ["export", "--out", str(workdir / "out")]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 1, command
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert lines[0].startswith(f"error: BI surface {bi_of(db).resolve()} cannot be read: view customer_segments")
        assert lines[0].endswith("`segment serve --rebuild` rebuilds it from the warehouse")
    result = runner.invoke(app, ["serve", "--rebuild", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert_surface_matches_warehouse(db)


def test_the_surface_refuses_readers_older_than_it(workdir: Path, db: Path, mall_csv: Path) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    bi = bi_of(db)
    con = duckdb.connect(str(bi))
    try:
        con.execute("UPDATE serving_info SET schema_version = schema_version + 1")
    finally:
        con.close()
    result = runner.invoke(app, ["runs", "--db", str(db)])
    assert result.exit_code == 1
    assert "newer than this pipeline's" in result.stderr
    assert "upgrade the pipeline to read it" in result.stderr


def test_a_rebuild_writes_a_new_generation_and_keeps_the_one_a_reader_holds(
    workdir: Path, db: Path, mall_csv: Path
) -> None:
    assert run(db, mall_csv, "2026Q1").exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(bi_of(db))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        first = holder.stdout.readline().strip()
        result = runner.invoke(app, ["serve", "--rebuild", "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert "BI surface rebuilt (asked for)" in result.stdout
        assert sorted(p.name for p in data_dir(bi_of(db)).glob("gen-*")) == ["gen-1", "gen-2"]
        holder.stdin.write("again\n")
        holder.stdin.flush()
        held = json.loads(holder.stdout.readline())
        assert held == [[first, "2026Q1"], [200, 1]]  # the BI file it holds still reads gen-1, whole
        result = runner.invoke(app, ["serve", "--rebuild", "--db", str(db)])
        assert result.exit_code == 0, result.output
    finally:
        holder.kill()
        holder.wait()
    # the second rebuild removed gen-1 (readers of the BI file from before the first must reconnect)
    assert sorted(p.name for p in data_dir(bi_of(db)).glob("gen-*")) == ["gen-2", "gen-3"]
    assert_surface_matches_warehouse(db)
