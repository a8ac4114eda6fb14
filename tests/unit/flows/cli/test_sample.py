"""flows/cli/sample.py: `segment sample` writes the customers or order lines asked for."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


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
