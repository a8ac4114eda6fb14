"""The BI surface's comments: generated from docs/warehouse.md and the view headers, never from migrations."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from warehouse import comments
from warehouse import connection as wh
from warehouse.comments import CommentsError, bi_comments, plain, read_docs, read_header
from warehouse.serving import sync

ROOT = Path(__file__).resolve().parents[3]  # tests/unit/warehouse/ -> the repository
DOCS = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated() -> str:
    return bi_comments(DOCS)


def test_the_checked_in_comments_are_what_the_generator_makes_now(generated: str) -> None:
    checked_in = (ROOT / "warehouse" / "sql" / "serving" / "bi_comments.sql").read_text(encoding="utf-8")
    assert checked_in == generated, "run `python -m warehouse.comments`, commit what it writes"
    assert comments.GENERATED == ROOT / "warehouse" / "sql" / "serving" / "bi_comments.sql"


def test_every_table_view_and_column_of_a_bi_file_has_a_comment(tmp_path: Path) -> None:
    with wh.connect(tmp_path / "w.duckdb"):
        pass
    sync(tmp_path / "w.duckdb", tmp_path / "w_bi.duckdb", visibility_delay_s=0)
    con = duckdb.connect(str(tmp_path / "w_bi.duckdb"), read_only=True)
    try:
        views = con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal "
            "AND table_name <> 'serving_info'"
        ).fetchall()
    finally:
        con.close()
    assert len(views) >= 22
    assert [v for v, comment in views if not comment] == []
    assert [(t, c) for t, c, comment in columns if not comment] == []
    assert dict(((t, c), m) for t, c, m in columns)[("current_segments", "customer_id")].startswith("CustomerID")


def test_migrations_are_history_their_comments_are_never_read(monkeypatch: pytest.MonkeyPatch, generated: str) -> None:
    """The same comments come out when every comment in the migrations says something else."""
    rewritten = tuple((v, n, re.sub(r"--[^\n]*", "-- not what it means", text)) for v, n, text in wh.migrations())
    monkeypatch.setattr(wh, "migrations", lambda: rewritten)
    assert bi_comments(DOCS) == generated


def test_a_view_column_passed_through_means_what_its_table_means(generated: str) -> None:
    lines = dict(re.findall(r'^COMMENT ON COLUMN ("\w+"\."\w+") IS (.*);$', generated, re.M))
    for view in ("current_segments", "period_segments", "customer_segments", "current_customer_features"):
        assert lines[f'"{view}"."customer_id"'] == lines['"customer_segments"."customer_id"']
    assert lines['"current_run"."k_reason"'] == lines['"runs"."k_reason"'] == lines['"run_history"."k_reason"']
    assert lines['"current_segments"."period_start"'] == "'first day of the period'"
    assert lines['"current_transitions"."from_name"'] == "'the name of from_segment in the compared run'"
    assert lines['"run_history"."is_current"'].startswith("'true for the current run")  # the header's own


def test_markdown_becomes_plain_words() -> None:
    assert plain("`running`, `succeeded`\n or `failed`") == "running, succeeded or failed"


DOCS_EXAMPLE = """
### `runs`: one row per run. Grain: `run_id`.

| column | type | meaning |
| --- | --- | --- |
| run_id | VARCHAR | uuid4 of the run |
| period_start, period_end | DATE | the period |

### `notes`: prose only, no column table.

### `k_selection`: every candidate k. Grain: (`run_id`, `k`).

| column | type | meaning |
| --- | --- | --- |
| run_id | | as in `runs` |

## Views

| view | grain | what |
| --- | --- | --- |
| `run_history` | run_id | every run with `is_current` (`active` is a value) |
"""


def test_docs_are_read_table_by_table_and_row_by_row() -> None:
    docs = read_docs(DOCS_EXAMPLE)
    assert sorted(docs.tables) == ["k_selection", "runs"]
    runs = docs.tables["runs"]
    assert runs.what == "one row per run. Grain: `run_id`."
    assert [(c.name, c.type, c.meaning) for c in runs.columns] == [
        ("run_id", "VARCHAR", "uuid4 of the run"),
        ("period_start", "DATE", "the period"),
        ("period_end", "DATE", "the period"),
    ]
    assert [(c.name, c.source) for c in docs.tables["k_selection"].columns] == [("run_id", "runs")]
    row = docs.views["run_history"]
    assert row.what == "every run with `is_current` (`active` is a value). Grain: run_id."
    assert row.named == {"is_current", "active"}
    assert row.where == "docs/warehouse.md:21"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("| k | | the number |", "docs/warehouse.md:7: k needs a type"),
        ("| k, | INTEGER | the number |", "a column row is `| name[, name] | TYPE | meaning |`"),
        ("| `k` | INTEGER | the number |", "a column row is"),
    ],
)
def test_a_docs_row_that_cannot_be_read_says_where(row: str, message: str) -> None:
    text = DOCS_EXAMPLE.replace("| period_start, period_end | DATE | the period |", row)
    with pytest.raises(CommentsError, match=re.escape(message)):
        read_docs(text)


HEADER = """-- v: a view. Grain: one row per id.
-- Columns:
--   id, name  as in `t`
--   score  DOUBLE  the score, computed; a long meaning
--                  that goes on
--   n  BIGINT  a count
CREATE OR REPLACE VIEW v AS SELECT 1;
"""


def test_a_view_header_lists_its_own_and_its_passed_through_columns() -> None:
    columns = read_header("v", HEADER)
    assert [(c.name, c.type, c.meaning, c.source) for c in columns] == [
        ("id", "", "", "t"),
        ("name", "", "", "t"),
        ("score", "DOUBLE", "the score, computed; a long meaning that goes on", ""),
        ("n", "BIGINT", "a count", ""),
    ]
    (every,) = read_header("v", "-- v: all. Grain: one row per id.\n-- Columns: every column of `t`, in its order.\n")
    assert (every.name, every.source) == ("*", "t")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- v: no list. Grain: one row per id.\n", "the header has no `-- Columns:` line"),
        ("-- Columns of t:\n", "the header says `-- Columns:` alone"),
        ("-- Columns:\n--   id VARCHAR\n", "cannot read the header line '  id VARCHAR'"),
        ("-- Columns:\n--   id  VARCHAR  as in `t`\n", "cannot read the header line"),  # passed through: no type
        ("-- Columns:\n--      more words\n", "cannot read the header line"),  # continues nothing
    ],
)
def test_a_header_that_cannot_be_read_says_how_to_write_it(header: str, message: str) -> None:
    with pytest.raises(CommentsError, match=re.escape(message)):
        read_header("v", header + "CREATE OR REPLACE VIEW v AS SELECT 1;\n")


def _with_header(monkeypatch: pytest.MonkeyPatch, view: str, old: str, new: str) -> None:
    """The generator reads `view`'s file with `old` replaced by `new` (the warehouse's view is the file's)."""
    files = dict(wh.views())
    assert old in files[view], old
    files[view] = files[view].replace(old, new)
    monkeypatch.setattr(comments, "views", lambda: tuple(files.items()))


@pytest.mark.parametrize(
    ("view", "old", "new", "message"),
    [
        (
            "current_segments",
            "--   customer_id, segment_id, segment_name, period, run_id  as in `customer_segments`",
            "--   customer_id  VARCHAR  the id\n"
            "--   segment_id, segment_name, period, run_id  as in `customer_segments`",
            "customer_id passes customer_segments.customer_id through: write `customer_id  as in `customer_segments``",
        ),
        (
            "current_segments",
            "--   period_start, period_end  as in `runs`",
            "--   period_start, period_end  as in `customer_segments`",
            "warehouse/views/current_segments.sql: period_start comes from `runs`, not `customer_segments`",
        ),
        (
            "current_transitions",
            "--   share_of_from  DOUBLE  n_customers / all customers of from_segment: the share of the segment then\n"
            "--                          that moved to to_segment",
            "--   share_of_from  as in `segment_transitions`",
            "share_of_from is computed or renamed: give its type and meaning",
        ),
        (
            "current_transitions",
            "--   from_name  VARCHAR  the name",
            "--   from_name  INTEGER  the name",
            "current_transitions.sql: from_name is VARCHAR, not INTEGER",
        ),
        (
            "run_history",
            "--   is_current   BOOLEAN  true for the current run (the newest succeeded run of the latest period)\n",
            "",
            "warehouse/views/run_history.sql: the header lists ['run_id',",
        ),
        (
            "current_lineage",
            "every column of `segment_lineage`",
            "every column of `segment_profiles`",
            "the header lists ['run_id', 'period', 'segment_id', 'segment_name', 'n_customers'",
        ),
        (
            "current_run",
            "every column of `runs`",
            "every column of `period_runs`",
            "current_run.sql: run_id comes from `runs`, not `period_runs`",  # the meaning is written for runs
        ),
    ],
)
def test_a_header_that_disagrees_with_its_view_fails_with_what_to_write(
    monkeypatch: pytest.MonkeyPatch, view: str, old: str, new: str, message: str
) -> None:
    _with_header(monkeypatch, view, old, new)
    with pytest.raises(CommentsError, match=re.escape(message)):
        bi_comments(DOCS)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("| k | INTEGER | segments fitted (or in the scoring model) |\n", "", "runs.k (INTEGER) is not documented"),
        ("| k | INTEGER | segments fitted", "| k | BIGINT | segments fitted", "runs.k is INTEGER, not BIGINT"),
        ("| k | INTEGER |", "| k, kk | INTEGER |", "runs.kk is not in the warehouse"),
        ("| error | VARCHAR |", "| k | VARCHAR |", "runs.k is documented twice"),
        (
            "| run_id, customer_id, segment_id | | as in `customer_segments` |",
            "| run_id, customer_id, segment_id | | as in `k_selection` |",
            "customer_sample.customer_id is as in `k_selection`, which has no customer_id",
        ),
        ("### `k_selection`: every", "### `k_selections`: every", "no `### `k_selection`: ...` section"),
        (
            "| `current_run` | ≤ 1 row | the newest succeeded run of the latest period |\n",
            "",
            "no row for `current_run`",
        ),
        ("migration matrix since its compared run (`reference_period`)", "migration matrix", "name `reference_period`"),
        ("with status, k, k_reason,", "with status, k, `rule`,", "names `rule`, which run_history lacks"),
        (
            "| `current_run` | ≤ 1 row |",
            "| `current_runs` | ≤ 1 row |",
            "`current_runs` is no view of warehouse/views/",
        ),
    ],
)
def test_docs_that_disagree_with_the_warehouse_or_the_views_fail_with_every_problem(
    old: str, new: str, message: str
) -> None:
    assert old in DOCS, old
    with pytest.raises(CommentsError, match=re.escape(message)):
        bi_comments(DOCS.replace(old, new))


def test_every_problem_is_reported_at_once() -> None:
    broken = DOCS.replace("| k | INTEGER | segments fitted (or in the scoring model) |\n", "")
    broken = broken.replace("| chosen | BOOLEAN |", "| chosen | VARCHAR |")
    with pytest.raises(CommentsError) as raised:
        bi_comments(broken)
    assert "runs.k (INTEGER) is not documented" in str(raised.value)
    assert "k_selection.chosen is BOOLEAN, not VARCHAR" in str(raised.value)


def test_the_command_rewrites_the_file_or_only_checks_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], generated: str
) -> None:
    target = tmp_path / "bi_comments.sql"
    target.write_text("-- stale\n", encoding="utf-8")
    monkeypatch.setattr(comments, "GENERATED", target)
    assert comments.main(["--check"]) == 1
    assert target.read_text(encoding="utf-8") == "-- stale\n"
    assert "run python -m warehouse.comments" in capsys.readouterr().err
    assert comments.main([]) == 0
    assert target.read_text(encoding="utf-8") == generated
    assert comments.main(["--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_the_command_needs_a_source_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(comments, "DOCS", tmp_path / "docs" / "warehouse.md")
    assert comments.main(["--check"]) == 1
    assert "generate the comments in a source checkout" in capsys.readouterr().err
