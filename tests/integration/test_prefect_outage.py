"""Prefect's API stops answering mid-run: the run ends on its own merits, says so in one line.

A real `prefect server start` on a free port, a real `segment run` against it, and the server
stopped (SIGTERM to its process group) once the run holds the warehouse's writer lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import MALL_CSV, free_port, prefect_env, query, segment_cmd, start_prefect_server, stop

WARNING = (
    "warning: Prefect's API stopped answering during the run: the Prefect UI's record of it is incomplete; "
    "the warehouse has the run's real outcome, below."
)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_a_server_stopped_mid_run_leaves_the_run_its_real_outcome(tmp_path: Path, outcome: str) -> None:
    source = MALL_CSV
    if outcome == "failed":
        source = tmp_path / "bad.csv"
        lines = MALL_CSV.read_text().splitlines()
        lines[5] = "5,Female,forty,17,40"
        source.write_text("\n".join(lines) + "\n")
    port = free_port()
    env = prefect_env(tmp_path, f"http://127.0.0.1:{port}/api")
    server = start_prefect_server(tmp_path, port, env)
    cli = None
    try:
        db = tmp_path / "warehouse.duckdb"
        args = segment_cmd("run", "--source", str(source), "--period", "2026Q1", "--db", str(db))
        cli = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock = db.with_name(db.name + ".lock")
        while not lock.exists():  # the flow has started and holds the writer lock
            assert cli.poll() is None, cli.communicate()
            time.sleep(0.05)
        time.sleep(1)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        stopped = time.monotonic()
        out, err = cli.communicate(timeout=300)
        after_stop = time.monotonic() - stopped
    finally:
        stop(server)
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.wait()
    assert query(db, "SELECT status FROM runs")["status"].tolist() == [outcome]
    assert after_stop < 60, f"{after_stop:.0f}s after the server stopped"
    if outcome == "succeeded":
        assert cli.returncode == 0, err
        assert err.strip().splitlines() == [WARNING]
        assert "segmented 2026Q1 into k=5 segments (silhouette 0.555)" in out
        return
    assert cli.returncode == 1, err
    assert err.strip().splitlines() == [
        WARNING,
        f"error: {source}: 1 value(s) in 1 row(s) break the input contract (line numbers count the header as line 1):",
        "  - Age · is a whole number: 1 failing: 'forty' (line 6)",
    ]
