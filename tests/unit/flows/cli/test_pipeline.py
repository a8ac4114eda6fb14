"""flows/cli/pipeline.py: `run`, `score`, `backfill` refuse what they cannot run before Prefect starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--k", "x"], "Invalid value for '--k': Input should be a valid integer"),
        (["backfill", "--from", "2025Q1"], "Missing option '--to'"),
    ],
)
def test_an_option_that_does_not_parse_exits_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_bad_period_with_json_prints_the_failed_document(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--period", "2026Q9", "--db", str(tmp_path / "w.duckdb"), "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert document["period"] == "2026Q9"
    assert result.stderr == f"error: {document['error']}\n"


def test_a_bad_setting_names_its_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--features", "bogus", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid option: --features / SEGMENT_FEATURES: unknown features")
