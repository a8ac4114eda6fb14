"""prefect.yaml on a real Prefect server with a real process worker.

Starts `prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME, creates the
work pool, deploys prefect.yaml from this checkout, starts a worker, triggers runs and checks
what lands in the warehouse. Every process it starts is stopped, also when it fails.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.helpers import FAST, ROOT, free_port, prefect_env, query, start_prefect_server, stop

PREFECT = [sys.executable, "-m", "prefect"]


class Stack:
    def __init__(self, url: str, env: dict[str, str], db: Path, logs: Path) -> None:
        self.url, self.env, self.db, self.logs = url, env, db, logs

    def prefect(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*PREFECT, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("server")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(
        home,
        url,
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_LOGGING_LEVEL="INFO",
        SEGMENT_ARTIFACTS_DIR=str(home / "artifacts"),
        **FAST,  # the worker's runs: what lands where is checked here, not k
    )
    procs: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=(home / log).open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    try:
        procs.append(start_prefect_server(home, port, env))
        stack = Stack(url, env, home / "warehouse.duckdb", home)
        stack.prefect("work-pool", "create", "segmentation", "--type", "process")
        deployed = stack.prefect("--no-prompt", "deploy", "--all")
        assert "quarterly" in deployed.stdout
        assert "monthly" in deployed.stdout
        start([*PREFECT, "worker", "start", "--pool", "segmentation"], "worker.log")
        yield stack
    finally:
        for proc in reversed(procs):
            stop(proc)


def test_both_deployments_are_registered_with_their_schedules(stack: Stack) -> None:
    with temporary_settings(updates={PREFECT_API_URL: stack.url}), get_client(sync_client=True) as client:
        quarterly = client.read_deployment_by_name("segment-customers/quarterly")
        monthly = client.read_deployment_by_name("segment-customers/monthly")
    assert [s.schedule.cron for s in quarterly.schedules] == ["0 6 1 1,4,7,10 *"]
    assert [s.schedule.cron for s in monthly.schedules] == ["0 6 1 * *"]
    assert quarterly.schedules[0].schedule.timezone == "UTC"
    assert (quarterly.parameters["cadence"], monthly.parameters["cadence"]) == ("quarterly", "monthly")
    assert (quarterly.parameters["mode"], monthly.parameters["mode"]) == ("fit", "score")
    assert quarterly.work_pool_name == "segmentation"
    assert quarterly.parameters["orders"] == monthly.parameters["orders"] == "data/sample_orders.csv"


def test_triggered_quarterly_run_lands_in_the_warehouse(stack: Stack) -> None:
    stack.prefect(
        "deployment",
        "run",
        "segment-customers/quarterly",
        "--param",
        "period=2025Q3",
        "--param",
        f"db={stack.db}",
        "--watch",
        "--watch-timeout",
        "300",
    )
    run = query(stack.db, "SELECT * FROM runs WHERE period = '2025Q3'")
    assert run["status"].tolist() == ["succeeded"], (stack.logs / "worker.log").read_text()[-3000:]
    assert run["source_given"].item() == "data/sample_orders.csv"
    assert run["source_path"].item() == str(ROOT / "data" / "sample_orders.csv")  # absolute: the worker's checkout
    assert run["source_kind"].item() == "orders"
    n_customers = query(
        stack.db, "SELECT count(*) AS n FROM customer_segments WHERE run_id = ?", [run["run_id"].item()]
    )
    features = query(stack.db, "SELECT count(*) AS n FROM customer_features WHERE run_id = ?", [run["run_id"].item()])
    assert n_customers["n"].item() == features["n"].item() == run["n_customers"].item() > 0
    with temporary_settings(updates={PREFECT_API_URL: stack.url}), get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run["flow_run_id"].item())
    assert flow_run.name == "segment-2025Q3"
    assert flow_run.state.is_completed()


def test_scheduled_run_without_period_segments_the_quarter_before_its_scheduled_start(stack: Stack) -> None:
    with temporary_settings(updates={PREFECT_API_URL: stack.url}):
        flow_run = run_deployment(
            "segment-customers/quarterly",
            parameters={"db": str(stack.db)},
            scheduled_time=datetime(2026, 4, 1, 6, 0, tzinfo=UTC),
            timeout=300,
            as_subflow=False,
        )
    assert flow_run.state.is_completed(), (stack.logs / "worker.log").read_text()[-3000:]
    assert flow_run.name == "segment-2026Q1"
    periods = query(stack.db, "SELECT period FROM runs WHERE flow_run_id = ?", [str(flow_run.id)])
    assert periods["period"].tolist() == ["2026Q1"]


def test_backfill_through_the_deployment_is_idempotent(stack: Stack) -> None:
    args = [
        sys.executable,
        "-m",
        "flows.cli",
        "backfill",
        "--from",
        "2024Q3",
        "--to",
        "2024Q4",
        "--deployment",
        "quarterly",
        "--db",
        str(stack.db),
        "--batch",
        "test-batch",
        "--wait",
        "300",
    ]
    first = subprocess.run(args, cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("Completed") == 2
    again = subprocess.run(args, cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    runs = query(
        stack.db, "SELECT period, status, flow_run_id FROM runs WHERE period IN ('2024Q3', '2024Q4') ORDER BY 1"
    )
    assert runs[["period", "status"]].values.tolist() == [["2024Q3", "succeeded"], ["2024Q4", "succeeded"]]
    # Same idempotency keys: the second submission returns the same flow runs, adding none.
    for flow_run_id in runs["flow_run_id"]:
        assert flow_run_id in first.stdout
        assert flow_run_id in again.stdout
