"""Backfills in this process: one run per period, in order, idempotent, resilient to a bad period.
(Two backfills at the same moment: tests/integration/test_concurrent_backfills.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client

from tests.helpers import FAST, PERIODS, invoke, query, write_period_files


@pytest.fixture
def period_files(workdir: Path) -> str:
    return write_period_files(workdir)


def backfill(*args: str):
    return invoke("backfill", "--from", "2025Q1", "--to", "2025Q4", *args, env=FAST)


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


def test_backfill_through_a_missing_deployment_says_what_to_do() -> None:
    result = invoke("backfill", "--from", "2025Q1", "--to", "2025Q2", "--deployment", "quarterly")
    assert result.exit_code == 1
    assert "deployment 'segment-customers/quarterly' is not on the Prefect server at http://127.0.0.1:" in result.stderr
    assert "prefect --no-prompt deploy --all" in result.stderr
