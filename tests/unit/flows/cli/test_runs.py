"""flows/cli/runs.py: `runs`, `show`, `report` read the BI surface, and say so when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["runs", "show", "report"])
def test_reading_a_warehouse_never_served_says_so(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, [command, "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "w_bi.duckdb does not exist" in result.stderr


def test_a_limit_below_one_exits_2() -> None:
    result = runner.invoke(app, ["runs", "--limit", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--limit': Input should be greater than or equal to 1" in result.stderr
