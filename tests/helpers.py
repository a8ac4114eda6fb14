"""What tests share: paths, small writers and readers, and the two ways to run `segment`.

- `invoke` (and `invoke_json`, `succeed`, `run_customers`): the command in this process, through
  typer's CliRunner. Fast; what flow tests use.
- `run_process` (and `start_process`, `kill_when_logged`): the command as a separate process, as a
  user starts it, talking to the session's Prefect server. For what only a process shows: its own
  stderr and logging, its start-up time, SIGKILL.

Nothing here imports Prefect or the command line at import time: unit tests import this module too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

if TYPE_CHECKING:
    from click.testing import Result

ROOT = Path(__file__).resolve().parents[1]
MALL_CSV = ROOT.parent / "shared" / "data" / "Mall_Customers.csv"
OLD_DUCKDB = "1.1.3"  # the 1.x line many BI drivers still bundle (fixture `old_duckdb`)
OLD_DUCKDB_DIR = ROOT / ".old-duckdb"  # .ci/run installs it there
HEADER = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"
INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"
MALL_NAMES = {
    "Average income · Average spending",
    "High income · High spending",
    "High income · Low spending",
    "Low income · Low spending",
    "Low income · High spending",
}
# Cheaper k selection where a test does not assert on k: fewer candidates, no stability refits.
FAST = {"SEGMENT_K_MAX": "6", "SEGMENT_STABILITY_RESAMPLES": "0"}


# --- files and warehouses ---


def write_csv(path: Path, lines: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


PERIODS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def write_period_files(folder: Path) -> str:
    """A customer table per quarter of 2025 (120, 130, 140, 150 customers); the --source template."""
    from segmentation.sample import generate_customers

    for seed, period in enumerate(PERIODS):
        generate_customers(120 + 10 * seed, seed=seed).to_csv(folder / f"customers_{period}.csv", index=False)
    return str(folder / "customers_{period}.csv")


def query(db_path: Path, statement: str, params: list[object] | None = None) -> pd.DataFrame:
    """One read-only query on a DuckDB file (the warehouse or the BI surface), as a frame."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(statement, params or []).df()
    finally:
        con.close()


def bi_of(db: Path) -> Path:
    """The BI surface beside a warehouse (its default name)."""
    return db.with_name(f"{db.stem}_bi.duckdb")


def served_names(db: Path) -> list[str]:
    """Every view of the warehouse and every table the surface serves."""
    views = query(db, "SELECT view_name FROM duckdb_views() WHERE NOT internal")["view_name"].tolist()
    tables = query(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_name NOT IN ('raw_customers', 'schema_migrations')",
    )["table_name"].tolist()
    return sorted(views + tables)


def assert_surface_matches_warehouse(db: Path) -> None:
    bi = bi_of(db)
    for name in served_names(db):
        statement = f"SELECT * FROM {name} ORDER BY ALL"  # noqa: S608 (names from the catalog)
        expected, served = query(db, statement), query(bi, statement)
        assert list(served.columns) == list(expected.columns), name
        pd.testing.assert_frame_equal(served, expected, obj=name)
        described = f"DESCRIBE {name}"
        assert query(bi, described)["column_type"].tolist() == query(db, described)["column_type"].tolist(), name


# --- `segment` in this process ---


def cli_error(stderr: str) -> str:
    """The command's own error message: from its 'error: ' line to the end (logs come before)."""
    start = stderr.rfind("\nerror: ") + 1 if not stderr.startswith("error: ") else 0
    assert stderr[start:].startswith("error: "), stderr
    return stderr[start:].strip()


def invoke(*args: str | Path, env: Mapping[str, str] | None = None) -> Result:
    """`segment ARGS` in this process; stdout and stderr apart, as a terminal would not show them."""
    from typer.testing import CliRunner

    from flows.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], env=dict(env) if env else None)


def invoke_json(*args: str | Path, env: Mapping[str, str] | None = None) -> tuple[Result, dict | None]:
    """`segment ARGS --json`: the result and its JSON document (None when it printed nothing)."""
    result = invoke(*args, "--json", env=env)
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def succeed(*args: str | Path, env: Mapping[str, str] | None = None) -> dict:
    """`segment ARGS --json`, which must succeed: its JSON document."""
    result, document = invoke_json(*args, env=env)
    assert result.exit_code == 0, result.output
    return document


def run_customers(
    db: Path, period: str = "2026Q1", *extra: str, source: Path = MALL_CSV, env: Mapping[str, str] | None = None
) -> Result:
    """`segment run` on a customer table (the real Mall data unless told)."""
    return invoke("run", "--source", source, "--period", period, "--db", db, *extra, env=env)


# --- warehouses many tests start from ---


@dataclass(frozen=True)
class Warehouse:
    """A warehouse a test starts from: its path, and the JSON summary of the run that made it."""

    db: Path
    summary: dict


class States:
    """Warehouse states many tests start from, each built once per session.

    A state is built in one folder (`home`) and copied aside; a test gets it back by copying it into
    that same folder, so every absolute path the runs recorded (model files, reports, the BI
    surface's views and its serving.json) holds as if the runs had just happened. Only one state is
    in `home` at a time: a test uses one of them.
    """

    def __init__(self, root: Path) -> None:
        self.home, self.store = root / "warehouse", root / "states"
        self.db = self.home / "warehouse.duckdb"
        self.summaries: dict[str, dict] = {}

    def get(self, name: str, build: Callable[[Path], dict], *, base: str | None = None) -> Warehouse:
        """The state `name`: built by `build(db)` on top of state `base` (or an empty folder) the first time."""
        if name not in self.summaries:
            if base is None:
                shutil.rmtree(self.home, ignore_errors=True)
                self.home.mkdir(parents=True)
            else:
                self.restore(base)
            self.summaries[name] = build(self.db)
            shutil.copytree(self.home, self.store / name)
        return self.restore(name)

    def restore(self, name: str) -> Warehouse:
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.copytree(self.store / name, self.home)
        return Warehouse(self.db, self.summaries[name])


# --- `segment` as a separate process ---


def subprocess_env(api_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `segment` subprocess that talks to the session's Prefect server."""
    # As a user runs it: Prefect's log level unset, so its console lines appear only with --verbose.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENT_") and k != "PREFECT_LOGGING_LEVEL"}
    # Prefect's own retry count (the command lowers it to 2, to notice an outage in seconds, and
    # writes that into this process's environment when a test runs it in-process): the session's
    # test server keeps its SQLite busy for every test of this worker at once, and on a loaded
    # machine answers 503 ("database is locked", retryable) three times in a row now and then.
    # Outages are tested against servers of their own (test_prefect_outage.py).
    env.update({"PREFECT_CLIENT_MAX_RETRIES": "5", "PREFECT_API_URL": api_url, "PYTHONUNBUFFERED": "1", **extra})
    return env


def segment_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *args]


def run_process(api_url: str, *args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """`segment ARGS` in a process of its own, to its end."""
    return subprocess.run(
        segment_cmd(*args),
        cwd=cwd,
        env=subprocess_env(api_url, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def start_process(api_url: str, *args: str, cwd: Path, **env: str) -> subprocess.Popen:
    """`segment ARGS` started in a process of its own; the caller reads its output and waits."""
    return subprocess.Popen(
        segment_cmd(*args),
        cwd=cwd,
        env=subprocess_env(api_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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


# --- other processes: DuckDB readers, Prefect servers ---


def hold_read_only(db: Path, seconds: float) -> subprocess.Popen:
    """A BI reader in another process, holding the file read-only."""
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "c.execute('SELECT count(*) FROM runs').fetchall(); print('holding', flush=True); "
        "time.sleep(float(sys.argv[2]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True, and its children."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def prefect_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    """Environment of a real Prefect server (and its clients) of its own: no SEGMENT_ or PREFECT_ leaks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMENT_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(home / "prefect-home"),
        PREFECT_API_URL=url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def start_prefect_server(home: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port, logging to home/server.log; returns once healthy."""
    import httpx

    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(home / "server.log").open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (home / "server.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prefect server did not become healthy"
            time.sleep(0.5)
    except BaseException:
        stop(server)
        raise
