"""Prefect's API stops answering mid-run: the run ends on its own merits, says so in one line.

A real `prefect server start` on a free port, two real `segment run`s against it at once (one that
succeeds, one whose input fails validation), and the server stopped (SIGTERM to its process group)
while both flows wait for their warehouse's writer lock, which the test holds: neither run can end
before the server is gone, however fast the machine. One server for both: starting one costs more
than either run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from tests.helpers import MALL_CSV, free_port, prefect_env, query, segment_cmd, start_prefect_server, stop
from warehouse import writer_lock

WARNING = (
    "warning: Prefect's API stopped answering during the run: the Prefect UI's record of it is incomplete; "
    "the warehouse has the run's real outcome, below."
)


def test_a_server_stopped_mid_run_leaves_each_run_its_real_outcome(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = MALL_CSV.read_text().splitlines()
    lines[5] = "5,Female,forty,17,40"
    bad.write_text("\n".join(lines) + "\n")
    sources = {"succeeded": MALL_CSV, "failed": bad}
    dbs = {outcome: tmp_path / outcome / "warehouse.duckdb" for outcome in sources}
    port = free_port()
    env = prefect_env(tmp_path, f"http://127.0.0.1:{port}/api")
    server = start_prefect_server(tmp_path, port, env)
    clis: dict[str, subprocess.Popen] = {}
    try:
        with ExitStack() as held:
            for outcome, source in sources.items():
                dbs[outcome].parent.mkdir()
                held.enter_context(writer_lock(dbs[outcome], wait_s=0))
                args = segment_cmd("run", "--source", str(source), "--period", "2026Q1", "--db", str(dbs[outcome]))
                clis[outcome] = subprocess.Popen(
                    args,
                    cwd=dbs[outcome].parent,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            deadline = time.monotonic() + 180
            while running_flows(port) < len(clis):  # both flows have begun, and wait for their lock
                assert time.monotonic() < deadline, "the flows never reached RUNNING"
                for cli in clis.values():
                    assert cli.poll() is None, cli.communicate()
                time.sleep(0.2)
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        stopped = time.monotonic()  # and the locks are released: both runs go on without the API
        ended = {outcome: (*cli.communicate(timeout=300), time.monotonic() - stopped) for outcome, cli in clis.items()}
    finally:
        stop(server)
        for cli in clis.values():
            if cli.poll() is None:
                cli.kill()
                cli.wait()

    for outcome, (_, _, after_stop) in ended.items():
        assert query(dbs[outcome], "SELECT status FROM runs")["status"].tolist() == [outcome]
        assert after_stop < 60, f"{outcome}: {after_stop:.0f}s after the server stopped"

    out, err, _ = ended["succeeded"]
    assert clis["succeeded"].returncode == 0, err
    assert err.strip().splitlines() == [WARNING]
    assert "segmented 2026Q1 into k=5 segments (silhouette 0.555)" in out

    _, err, _ = ended["failed"]
    assert clis["failed"].returncode == 1, err
    assert err.strip().splitlines() == [
        WARNING,
        f"error: {bad}: 1 value(s) in 1 row(s) break the input contract (line numbers count the header as line 1):",
        "  - Age · is a whole number: 1 failing: 'forty' (line 6)",
    ]


def running_flows(port: int) -> int:
    """How many flow runs the server has in state RUNNING."""
    import httpx

    body = {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}
    return len(httpx.post(f"http://127.0.0.1:{port}/api/flow_runs/filter", json=body, timeout=10).json())
