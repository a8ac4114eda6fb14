"""Shared fixtures: one Prefect test server per session, temporary warehouses, CSV writers."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Before Prefect is imported anywhere: a private home, and no telemetry (offline it errors,
# and it makes SQLite report "database is locked").
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="segment-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
for name in [n for n in os.environ if n.startswith("SEGMENT_")]:
    del os.environ[name]

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from prefect.settings import PREFECT_API_URL  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MALL_CSV = ROOT.parent / "shared" / "data" / "Mall_Customers.csv"
HEADER = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[str]:
    """One Prefect server for the whole session; subprocesses reach it through PREFECT_API_URL."""
    with prefect_test_harness(server_startup_timeout=120):
        _drop_prefect_console_handlers()
        yield PREFECT_API_URL.value()


def _drop_prefect_console_handlers() -> None:
    """Prefect's console handlers keep the stream of the first CliRunner call and later write to
    it closed; in-process tests read logs through caplog instead. Subprocess tests keep them."""
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler):
                logger.removeHandler(handler)


@pytest.fixture
def mall_csv() -> Path:
    assert MALL_CSV.is_file(), f"the real dataset is expected at {MALL_CSV}"
    return MALL_CSV


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a temporary folder so model artifacts land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_csv(path: Path, lines: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def query(db_path: Path, statement: str, params: list[object] | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(statement, params or []).df()
    finally:
        con.close()


def subprocess_env(api_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `segment` subprocess that talks to the session's Prefect server."""
    # As a user runs it: Prefect's log level unset, so its console lines appear only with --verbose.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENT_") and k != "PREFECT_LOGGING_LEVEL"}
    env.update(PREFECT_API_URL=api_url, PYTHONUNBUFFERED="1", **extra)
    return env


def segment_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *args]


def run_segment(api_url: str, *args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        segment_cmd(*args),
        cwd=cwd,
        env=subprocess_env(api_url, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def kill_when_logged(api_url: str, *args: str, cwd: Path, marker: str, **env: str) -> int:
    """Start `segment ARGS --verbose`, SIGKILL it as soon as its log says `marker`; its return code."""
    proc = subprocess.Popen(
        segment_cmd(*args, "--verbose"),
        cwd=cwd,
        env=subprocess_env(api_url, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        for line in proc.stderr:
            if marker in line:
                break
            assert time.monotonic() < deadline, f"{marker!r} never logged"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode
