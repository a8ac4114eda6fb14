"""Two `segment backfill` processes started at the same moment over the same periods."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import FAST, PERIODS, query, segment_cmd, subprocess_env, write_period_files


@pytest.fixture
def period_files(workdir: Path) -> str:
    return write_period_files(workdir)


def test_two_backfills_at_once_both_end_cleanly(
    prefect_server: str, period_files: str, workdir: Path, db: Path
) -> None:
    command = segment_cmd("backfill", "--from", "2025Q1", "--to", "2025Q4", "--source", period_files, "--db", str(db))
    env = subprocess_env(prefect_server, **FAST)  # k is not what this checks
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
