"""The serving surface's pure parts: where files go, why a BI file is rebuilt, safe identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.connection import code_schema_version, sql_string_literal
from warehouse.serving import (
    LAYOUT,
    data_dir,
    folder_macro_sql,
    next_generation,
    quote_identifier,
    read_state,
    rebuild_reason,
    run_file,
    schema_file,
    views_digest,
    views_path_for,
    write_state,
)


def test_files_sit_in_a_folder_named_after_the_bi_file() -> None:
    assert data_dir(Path("/d/segments_bi.duckdb")) == Path("/d/segments_bi")
    assert run_file(Path("/d/segments_bi/gen-1"), "runs", "r1") == Path("/d/segments_bi/gen-1/runs/run-r1.parquet")
    assert schema_file(Path("/f"), "k_selection", 7) == Path("/f/k_selection/_schema-v7.parquet")


@pytest.mark.parametrize(
    ("mount", "expected"),
    [(None, "/real/w_bi"), ("", "/real/w_bi"), ("/mnt/data", "/mnt/data/w_bi"), (Path("/mnt/x/"), "/mnt/x/w_bi")],
)
def test_views_read_the_folder_where_bi_tools_see_it(mount: object, expected: str) -> None:
    assert views_path_for(Path("/real/w_bi"), mount) == expected


def test_next_generation_is_above_every_one_used(tmp_path: Path) -> None:
    assert next_generation(tmp_path) == "gen-1"
    for name in ("gen-1", "gen-3", "gen-x", "other"):
        (tmp_path / name).mkdir()
    assert next_generation(tmp_path) == "gen-4"


def test_identifiers_and_literals_are_quoted_so_names_cannot_break_out() -> None:
    assert quote_identifier('my "table"') == '"my ""table"""'
    assert sql_string_literal("it's") == "'it''s'"
    assert folder_macro_sql("/d/it's") == "CREATE OR REPLACE MACRO segment_bi_folder() AS '/d/it''s'"


def state(bi: Path, **changes: object) -> dict[str, object]:
    return {
        "schema_version": code_schema_version(),
        "layout": LAYOUT,
        "generation": "gen-1",
        "bi_file": str(bi),
        "views_path": str(data_dir(bi)),
        "views": views_digest(),
    } | changes


@pytest.fixture
def bi(tmp_path: Path) -> Path:
    bi = tmp_path / "w_bi.duckdb"
    bi.write_bytes(b"")
    (data_dir(bi) / "gen-1").mkdir(parents=True)
    return bi


def test_an_up_to_date_surface_needs_nothing(bi: Path) -> None:
    assert rebuild_reason(bi, state(bi), str(data_dir(bi)), asked=False) == ("", False)


@pytest.mark.parametrize(
    ("changes", "reason", "rewrite"),
    [
        ({"schema_version": 1}, f"the warehouse schema is now version {code_schema_version()}", True),
        ({"layout": 1}, "its files were in an older layout", True),
        ({"generation": "gen-9"}, "its files were missing", True),
        (
            {"bi_file": "/elsewhere/w_bi.duckdb"},
            "the surface was moved or copied here from /elsewhere/w_bi.duckdb",
            False,
        ),
        ({"views_path": "/old/w_bi"}, "its views read /old/w_bi, BI tools now see the folder at ", False),
    ],
)
def test_each_reason_to_rebuild_is_said_and_only_some_rewrite_the_files(
    bi: Path, changes: dict[str, object], reason: str, rewrite: bool
) -> None:
    said, fresh = rebuild_reason(bi, state(bi, **changes), str(data_dir(bi)), asked=False)
    assert said.startswith(reason)
    assert fresh == rewrite


def test_reasons_add_up_and_an_explicit_rebuild_rewrites(bi: Path) -> None:
    bi.unlink()
    said, fresh = rebuild_reason(bi, state(bi, schema_version=1), str(data_dir(bi)), asked=True)
    assert said == (f"asked for; the warehouse schema is now version {code_schema_version()}; the BI file was missing")
    assert fresh


def test_state_round_trips_and_a_missing_or_broken_one_is_empty(tmp_path: Path) -> None:
    assert read_state(tmp_path) == {}
    write_state(tmp_path, tmp_path / "w_bi.duckdb", 12, "/v", "gen-2")
    written = read_state(tmp_path)
    assert (written["schema_version"], written["generation"], written["views_path"]) == (12, "gen-2", "/v")
    assert written["bi_file"] == str(tmp_path / "w_bi.duckdb")
    (tmp_path / "serving.json").write_text("{not json")
    assert read_state(tmp_path) == {}
