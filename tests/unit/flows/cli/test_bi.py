"""flows/cli/bi.py: `export` and `serve` refuse what they cannot do, in one error line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def test_an_unsupported_export_format_is_one_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "x"), "--format", "csv"])
    assert result.exit_code == 1
    assert result.stderr == "error: --format 'csv' is not supported; use parquet\n"
    assert not (tmp_path / "x").exists()


def test_serving_a_missing_warehouse_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "w.duckdb does not exist: run `segment run` first" in result.stderr
