"""Backfills: one run per period, in order, idempotent, resilient to a bad period and to a
second backfill started at the same moment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from flows.cli import app
from segmentation.sample import generate_customers
from tests.conftest import query, segment_cmd, subprocess_env

runner = CliRunner()
PERIODS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


@pytest.fixture
def period_files(workdir: Path) -> str:
    for seed, period in enumerate(PERIODS):
        generate_customers(120 + 10 * seed, seed=seed).to_csv(workdir / f"customers_{period}.csv", index=False)
    return str(workdir / "customers_{period}.csv")


def backfill(*args: str):
    return runner.invoke(app, ["backfill", "--from", "2025Q1", "--to", "2025Q4", *args])


def flow_run_name(flow_run_id: str) -> str:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id)).name


def test_backfill_runs_each_period_once_and_force_adds_runs(period_files: str, db: Path) -> None:
    first = backfill("--source", period_files, "--db", str(db))
    assert first.exit_code == 0, first.output
    runs = query(db, "SELECT period, status, flow_run_id FROM runs ORDER BY started_at")
    assert runs[["period", "status"]].values.tolist() == [[p, "succeeded"] for p in PERIODS]
    for period, flow_run_id in zip(runs["period"], runs["flow_run_id"], strict=True):
        assert flow_run_name(flow_run_id) == f"segment-{period}"
        assert period in first.stdout
    current_before = query(db, "SELECT * FROM current_segments ORDER BY customer_id")
    assert set(current_before["period"]) == {"2025Q4"}
    assert len(current_before) == 150

    again = backfill("--source", period_files, "--db", str(db))
    assert again.exit_code == 0, again.output
    assert again.stdout.count("skipped") == 4
    assert query(db, "SELECT count(*) AS n FROM runs")["n"].item() == 4
    current_after = query(db, "SELECT * FROM current_segments ORDER BY customer_id")
    assert current_after.equals(current_before)

    forced = backfill("--source", period_files, "--db", str(db), "--force")
    assert forced.exit_code == 0, forced.output
    counts = query(db, "SELECT period, count(*) AS n FROM runs WHERE status = 'succeeded' GROUP BY 1 ORDER BY 1")
    assert counts["n"].tolist() == [2, 2, 2, 2]
    current_forced = query(db, "SELECT * FROM current_segments ORDER BY customer_id")
    assert current_forced["segment_id"].tolist() == current_before["segment_id"].tolist()  # same data, same seed
    assert set(current_forced["run_id"]) != set(current_before["run_id"])  # but from the newer run


def test_one_bad_period_does_not_stop_the_others(period_files: str, workdir: Path, db: Path) -> None:
    bad = workdir / "customers_2025Q2.csv"
    bad.write_text(bad.read_text().replace(",Female,", ",Unknown,", 1))
    result = backfill("--source", period_files, "--db", str(db))
    assert result.exit_code == 1
    statuses = dict(query(db, "SELECT period, status FROM runs").values.tolist())
    assert statuses == {"2025Q1": "succeeded", "2025Q2": "failed", "2025Q3": "succeeded", "2025Q4": "succeeded"}
    failed_run = query(db, "SELECT run_id FROM runs WHERE period = '2025Q2'")["run_id"].item()
    assert f"2025Q2 failed (run {failed_run}):" in result.stderr
    assert "Gender · isin(['Female', 'Male']): 1 failing: 'Unknown'" in result.stderr
    row = next(line for line in result.stdout.splitlines() if "2025Q2" in line)
    assert failed_run in row  # the table names the run whose report says why
    as_json = backfill("--source", period_files, "--db", str(db), "--json")
    outcomes = {o["period"]: o for o in json.loads(as_json.stdout)["outcomes"]}
    newest = query(db, "SELECT run_id FROM runs WHERE period = '2025Q2' ORDER BY started_at DESC LIMIT 1")
    assert outcomes["2025Q2"]["outcome"] == "failed"
    assert outcomes["2025Q2"]["run_id"] == newest["run_id"].item() != failed_run  # this backfill's own run
    assert outcomes["2025Q1"]["outcome"] == "skipped"


def test_bad_range_is_refused() -> None:
    result = runner.invoke(app, ["backfill", "--from", "2025Q3", "--to", "2025-01"])
    assert result.exit_code == 1
    assert "both be quarters or both months" in result.stderr


def test_backfill_through_a_missing_deployment_says_what_to_do() -> None:
    result = runner.invoke(app, ["backfill", "--from", "2025Q1", "--to", "2025Q2", "--deployment", "quarterly"])
    assert result.exit_code == 1
    assert "deployment 'segment-customers/quarterly' is not on the Prefect server at http://127.0.0.1:" in result.stderr
    assert "prefect --no-prompt deploy --all" in result.stderr


def test_two_backfills_at_once_both_end_cleanly(
    prefect_server: str, period_files: str, workdir: Path, db: Path
) -> None:
    command = segment_cmd("backfill", "--from", "2025Q1", "--to", "2025Q4", "--source", period_files, "--db", str(db))
    env = subprocess_env(prefect_server)
    procs = [
        subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stdout + stderr
        assert "Could not set lock" not in stderr
    runs = query(db, "SELECT period, status FROM runs ORDER BY period")
    assert runs.values.tolist() == [[p, "succeeded"] for p in PERIODS]  # each period exactly once
    combined = outputs[0][0] + outputs[1][0]
    assert combined.count("succeeded") == 4
    assert combined.count("skipped") == 4
    current = query(db, "SELECT customer_id FROM current_segments")
    assert len(current) == 150
    assert current["customer_id"].is_unique
