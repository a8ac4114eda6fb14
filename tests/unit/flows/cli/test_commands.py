"""Commands that answer without starting Prefect: help, option mistakes, pre-run errors, `sample`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

COMMANDS = ("run", "score", "backfill", "runs", "show", "report", "export", "serve", "sample")
runner = CliRunner()


def test_the_help_lists_every_command_in_order() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert tuple(listed) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: segment " in result.stdout
    assert "<str>" not in result.stdout
    assert "<bool>" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--k", "x"], "Invalid value for '--k': Input should be a valid integer"),
        (["runs", "--limit", "0"], "Invalid value for '--limit': Input should be greater than or equal to 1"),
        (["backfill", "--from", "2025Q1"], "Missing option '--to'"),
    ],
)
def test_an_option_that_does_not_parse_exits_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unsupported_export_format_is_one_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "x"), "--format", "csv"])
    assert result.exit_code == 1
    assert result.stderr == "error: --format 'csv' is not supported; use parquet\n"
    assert not (tmp_path / "x").exists()


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


@pytest.mark.parametrize("command", ["runs", "show", "report"])
def test_reading_a_warehouse_never_served_says_so(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, [command, "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "w_bi.duckdb does not exist" in result.stderr


def test_serving_a_missing_warehouse_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "w.duckdb does not exist: run `segment run` first" in result.stderr


def test_sample_writes_the_customers_asked_for(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample", "--out", str(tmp_path / "s.csv"), "--rows", "10", "--seed", "3"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote 10 customers to {tmp_path / 's.csv'}\n"
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 11


def test_sample_orders_writes_an_order_history(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample", "--orders", "--out", str(tmp_path / "o.csv"), "--rows", "5"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("wrote ")
    assert result.stdout.endswith(f" order lines of 5 customers to {tmp_path / 'o.csv'}\n")
