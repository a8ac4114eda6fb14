"""The BI surface: BI tools read it while runs go on, and it always answers as the warehouse does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from tests.helpers import Warehouse, assert_surface_matches_warehouse, bi_of, invoke, query, run_customers
from warehouse import connect_bi
from warehouse.serving import data_dir


def run(db: Path, source: Path, period: str, *extra: str):
    return run_customers(db, period, *extra, source=source)


def test_surface_answers_every_view_as_the_warehouse_after_each_kind_of_run(
    workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
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
    assert undocumented.empty, undocumented  # BI field help: docs/warehouse.md, then `python -m warehouse.comments`


def test_superset_reads_the_surface_through_sqlalchemy_read_only(
    workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
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


def test_serve_rebuild_recreates_a_lost_surface(workdir: Path, mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
    assert run(db, mall_csv, "2026Q2").exit_code == 0
    bi_of(db).unlink()
    for path in sorted(data_dir(bi_of(db)).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    result = invoke("serve", "--rebuild", "--db", db)
    assert result.exit_code == 0, result.output
    assert "2 run(s) published" in result.stdout
    assert_surface_matches_warehouse(db)


def test_a_newer_warehouse_schema_rebuilds_the_surface(workdir: Path, mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
    state_file = data_dir(bi_of(db)) / "serving.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps(state | {"schema_version": state["schema_version"] - 1}))
    old_inode = bi_of(db).stat().st_ino
    result = invoke("serve", "--db", db)
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.stdout
    assert bi_of(db).stat().st_ino != old_inode  # a new file, renamed over the old one
    assert_surface_matches_warehouse(db)


def test_hardened_reader_reads_views_but_no_other_file(workdir: Path, mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
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


def test_a_moved_surface_is_rebuilt_by_the_next_run(
    tmp_path: Path, mall_run: Warehouse, mall_csv: Path, monkeypatch
) -> None:
    before = mall_run.db.parent
    after = tmp_path / "after"
    before.rename(after)
    monkeypatch.chdir(after)
    db = after / mall_run.db.name
    with pytest.raises(duckdb.IOException, match="No files found"):
        query(bi_of(db), "SELECT count(*) FROM current_segments")  # its views still read the old place
    listed = invoke("runs", "--db", db)  # the project's own readers read it where it is
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
    tmp_path: Path, mall_run: Warehouse, mall_csv: Path, monkeypatch
) -> None:
    original, name = mall_run.db.parent, mall_run.db.name
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    untouched = {path: path.stat().st_mtime_ns for path in original.rglob("*")}
    monkeypatch.chdir(copy)
    result = invoke("serve", "--db", copy / name)
    assert result.exit_code == 0, result.output
    assert f"BI surface rebuilt (the surface was moved or copied here from {bi_of(original / name)})" in result.stdout
    assert run(copy / name, mall_csv, "2026Q2").exit_code == 0
    assert query(bi_of(copy / name), "SELECT period FROM current_run")["period"].tolist() == ["2026Q2"]
    assert query(bi_of(original / name), "SELECT period FROM current_run")["period"].tolist() == ["2026Q1"]
    assert {path: path.stat().st_mtime_ns for path in original.rglob("*")} == untouched
    assert_surface_matches_warehouse(copy / name)


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
    listed = invoke("runs", "--db", db)  # the project's own readers read where they are
    assert listed.exit_code == 0, listed.output
    assert "2026Q1" in listed.stdout


def test_commands_on_a_broken_surface_say_so_in_one_line(workdir: Path, mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
    (generation,) = data_dir(bi_of(db)).glob("gen-*")
    shutil.rmtree(generation / "customer_segments")
    for command in (["runs"], ["show"], ["report"], ["export", "--out", str(workdir / "out")]):
        result = invoke(*command, "--db", db)
        assert result.exit_code == 1, command
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert lines[0].startswith(f"error: BI surface {bi_of(db).resolve()} cannot be read: view customer_segments")
        assert lines[0].endswith("`segment serve --rebuild` rebuilds it from the warehouse")
    result = invoke("serve", "--rebuild", "--db", db)
    assert result.exit_code == 0, result.output
    assert_surface_matches_warehouse(db)


def test_the_surface_refuses_readers_older_than_it(workdir: Path, mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
    bi = bi_of(db)
    con = duckdb.connect(str(bi))
    try:
        con.execute("UPDATE serving_info SET schema_version = schema_version + 1")
    finally:
        con.close()
    result = invoke("runs", "--db", db)
    assert result.exit_code == 1
    assert "newer than this pipeline's" in result.stderr
    assert "upgrade the pipeline to read it" in result.stderr


def test_export_command_writes_parquet(workdir: Path, mall_run: Warehouse) -> None:
    import pyarrow.parquet as pq

    db = mall_run.db
    result = invoke("export", "--format", "parquet", "--out", workdir / "out", "--db", db)
    assert result.exit_code == 0, result.output
    assert pq.read_table(workdir / "out" / "current_segments.parquet").num_rows == 200
    assert pq.read_table(workdir / "out" / "current_profiles.parquet").num_rows == 5
    bad = invoke("export", "--format", "csv", "--out", workdir / "out", "--db", db)
    assert bad.exit_code == 1
    assert "use parquet" in bad.stderr
