"""The BI views: one file each in warehouse/views/, applied after the migrations by every writer."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import pytest

from warehouse import connect
from warehouse import connection as wh
from warehouse.serving import rebuild_reason, views_digest

ROOT = Path(__file__).resolve().parents[3]  # tests/unit/warehouse/ -> the repository
VIEW_FILES = sorted((ROOT / "warehouse" / "views").glob("*.sql"))
MIGRATION_FILES = sorted((ROOT / "warehouse" / "migrations").glob("*.sql"))
CREATES_VIEW = re.compile(r"\bCREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?VIEW\s+(?P<name>\w+)", re.I)
COMMENT = re.compile(r"--[^\n]*")

# What migration 002 created before issue 17: an older warehouse still has these definitions.
VIEWS_OF_002 = """
CREATE VIEW period_runs AS SELECT * FROM runs WHERE status = 'succeeded'
QUALIFY row_number() OVER (PARTITION BY period ORDER BY finished_at DESC, run_id DESC) = 1;
CREATE VIEW current_run AS SELECT * FROM period_runs ORDER BY period_start DESC, finished_at DESC LIMIT 1;
CREATE VIEW current_segments AS SELECT s.customer_id, s.segment_id, s.segment_name, s.period, s.run_id
FROM customer_segments AS s JOIN current_run AS r ON s.run_id = r.run_id;
CREATE VIEW current_profiles AS SELECT p.* FROM segment_profiles AS p JOIN current_run AS r ON p.run_id = r.run_id;
CREATE VIEW period_segments AS SELECT s.period, s.customer_id, s.segment_id, s.segment_name, s.run_id
FROM customer_segments AS s JOIN period_runs AS r ON s.run_id = r.run_id;
CREATE VIEW run_history AS SELECT run_id, period, status, started_at, finished_at, duration_s, n_rows, k, k_reason,
silhouette, source_path, error, run_id = (SELECT run_id FROM current_run) AS is_current
FROM runs ORDER BY started_at DESC;
"""


def header(text: str) -> str:
    """The comment lines a view file opens with."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return "\n".join(lines)


def view_sql(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute(wh.sql("serving/warehouse_views")).fetchall())


def migrate_by_hand(path: Path, up_to: int) -> None:
    """A warehouse as older code left it: migrations 1..up_to, then the views migration 002 made."""
    con = duckdb.connect(str(path))
    con.execute(wh.sql("schema/schema_migrations_create"))
    for version, name, text in wh.migrations():
        if version <= up_to:
            con.execute(text)
            con.execute(wh.sql("schema/schema_migrations_insert"), [version, name, wh.utc_now()])
    con.execute(VIEWS_OF_002)
    con.close()


def test_the_views_folder_is_found_from_the_test_file() -> None:
    assert (ROOT / "pyproject.toml").is_file()
    assert len(VIEW_FILES) >= 12


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_every_view_file_creates_the_view_it_is_named_after_and_states_its_grain(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    created = [m.group("name") for m in CREATES_VIEW.finditer(COMMENT.sub("", text))]
    assert len(duckdb.extract_statements(text)) == 1, "one statement per file"
    assert created == [path.stem]
    assert re.search(r"CREATE OR REPLACE VIEW", COMMENT.sub("", text)), "replaced, so older warehouses are updated"
    opening = header(text)
    assert opening.startswith(f"-- {path.stem}: "), "the header names the view and says what it is"
    assert re.search(r"Grain: (one row per|at most one row)", opening), "the header states the grain"
    assert "Columns" in opening, "the header lists (or points to) the columns"


def test_views_lists_every_file_each_after_the_views_it_reads() -> None:
    listed = [name for name, _ in wh.views()]
    assert sorted(listed) == [p.stem for p in VIEW_FILES]
    for position, (name, text) in enumerate(wh.views()):
        body = COMMENT.sub("", text)
        for other in listed:
            if other != name and re.search(rf"\b{other}\b", body):
                assert listed.index(other) < position, f"{name} reads {other}"


def test_views_read_each_other_as_expected() -> None:
    order = [name for name, _ in wh.views()]
    assert order.index("period_runs") < order.index("current_run") < order.index("current_segments")
    assert order.index("segment_history") < order.index("segment_dimension")
    assert order.index("current_profiles") < order.index("segment_dimension")


@pytest.mark.parametrize("path", MIGRATION_FILES, ids=lambda p: p.stem)
def test_no_migration_creates_a_view(path: Path) -> None:
    assert not CREATES_VIEW.search(COMMENT.sub("", path.read_text(encoding="utf-8")))


def test_every_view_of_a_fresh_warehouse_comes_from_its_file(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        made = view_sql(con)
        for _, text in wh.views():  # running a file again changes nothing: the view is the file's
            con.execute(text)
        again = view_sql(con)
    assert sorted(made) == [p.stem for p in VIEW_FILES]
    assert made == again


@pytest.mark.parametrize("up_to", [2, 3, 4, 6, 8, 9])
def test_a_warehouse_built_at_an_older_version_gets_the_current_views(tmp_path: Path, up_to: int) -> None:
    migrate_by_hand(tmp_path / "old.duckdb", up_to)
    with connect(tmp_path / "new.duckdb") as con:
        current = view_sql(con)
    with connect(tmp_path / "old.duckdb") as con:
        assert con.execute(wh.sql("schema/schema_version")).fetchone()[0] == wh.code_schema_version()
        upgraded = view_sql(con)
        columns = [row[0] for row in con.execute("DESCRIBE current_segments").fetchall()]
    assert upgraded == current
    assert columns[-3:] == ["customer_id_int", "period_start", "period_end"]


def recreated(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The views a writer (re)created, as it logged them."""
    found = [r.getMessage() for r in caplog.records if "views (re)created" in r.getMessage()]
    return found[-1].split(": ")[-1].split(", ") if found else []


def test_a_view_changed_by_hand_is_put_back_and_an_unchanged_one_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        current = view_sql(con)
        con.execute("CREATE OR REPLACE VIEW run_history AS SELECT 1 AS x")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="warehouse.connection"), connect(path) as con:
        assert view_sql(con) == current
    assert recreated(caplog) == ["run_history"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="warehouse.connection"), connect(path):
        pass
    assert recreated(caplog) == []  # a writer with nothing to change writes nothing


def test_views_of_a_warehouse_built_before_the_view_files_are_left_as_they_are(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Migrations 004-008 left the files' definitions, written otherwise: DuckDB's normal form of a
    view is compared, so such a warehouse's views are not rewritten."""
    path = tmp_path / "old.duckdb"
    migrate_by_hand(path, wh.code_schema_version())
    con = duckdb.connect(str(path))
    for _, text in wh.views():
        query = " ".join(COMMENT.sub("", text).split())  # another layout, no comments
        con.execute(query.replace(" AS ", "  AS\n", 1))
    con.close()
    with caplog.at_level(logging.INFO, logger="warehouse.connection"), connect(path):
        pass
    assert recreated(caplog) == []


def test_the_bi_file_is_rebuilt_when_its_views_were_built_from_other_definitions(tmp_path: Path) -> None:
    bi_path = tmp_path / "w_bi.duckdb"
    bi_path.touch()
    (tmp_path / "w_bi" / "gen-1").mkdir(parents=True)
    views_path = str(tmp_path / "w_bi")
    state = {
        "schema_version": wh.code_schema_version(),
        "layout": wh.SURFACE_LAYOUT,
        "generation": "gen-1",
        "bi_file": str(bi_path),
        "views_path": views_path,
        "views": views_digest(),
    }
    assert rebuild_reason(bi_path, state, views_path, asked=False) == ("", False)
    changed = rebuild_reason(bi_path, state | {"views": "0" * 64}, views_path, asked=False)
    assert changed == ("its views' definitions changed (warehouse/views/)", False)  # a new BI file, same files
    built_before = {k: v for k, v in state.items() if k != "views"}
    assert rebuild_reason(bi_path, built_before, views_path, asked=False) == (
        "its views' definitions were not recorded (warehouse/views/)",
        False,
    )


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("42", 42),
        ("17850.0", 17850),  # how spreadsheets, Spark and pandas write an integer key
        ("7.00", 7),
        ("-7", -7),
        ("0", 0),
        ("042", None),  # a leading zero is part of an ID, not a number
        ("4.2", None),
        ("C-42", None),
        ("1e3", None),
        ("99999999999999999999", None),  # beyond BIGINT
    ],
)
def test_integer_ids_are_joinable_however_the_export_wrote_them(
    tmp_path: Path, written: str, number: int | None
) -> None:
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, "
            "source_path, features) VALUES ('r1', '2026Q1', DATE '2026-01-01', DATE '2026-03-31', 'succeeded', "
            "TIMESTAMP '2026-04-01 06:00', TIMESTAMP '2026-04-01 06:01', 'x.csv', 'annual_income')"
        )
        con.execute("INSERT INTO customer_segments VALUES ('r1', '2026Q1', ?, 1, 'A')", [written])
        for view in ("current_segments", "period_segments"):
            found = con.execute(f"SELECT customer_id, customer_id_int FROM {view}").fetchone()  # noqa: S608
            assert found == (written, number), view
