"""Lanes and shared fixtures.

tests/unit/        the modules' pure functions: no Prefect server, no subprocess (marker `unit`)
tests/flow/        flows run in this process on the session's Prefect test server (marker `flow`)
tests/integration/ separate processes: the CLI, SIGKILL, servers, workers, Dask, other DuckDB
                   readers (marker `integration`)

`pytest` runs all three on worker processes (pytest-xdist, `-n auto --dist loadscope` in
pyproject.toml: one worker more than the cores; a module's tests stay on one worker, so its module
fixtures are made once, and modules are handed out in the order below);
`pytest tests/unit` (or `-m unit`) runs the fast lane alone; `-n 0` runs in this process, one test
after another (for a debugger). Each worker starts its own Prefect test server, on the first flow or
integration test it gets (tests/flow/conftest.py, tests/integration/conftest.py), never for unit
tests.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before Prefect is imported anywhere: a private home, and no telemetry (offline it errors,
# and it makes SQLite report "database is locked").
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="segment-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The session's test server keeps flow runs, task runs, logs and artifacts, which is what tests read;
# not the event feed (persisted events) nor automations (triggers). Each is one more writer on its
# SQLite file, and with three workers' runs on two cores a write that meets another's commit gets
# "database is locked": a 503, which Prefect's client retries after 2, 4, 8, ... s (a test that
# takes 12 s once took 77 s on a fresh clone, about what five such retries add up to). The real
# servers of the deployment and outage tests run every service.
os.environ["PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED"] = "false"
os.environ["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] = "false"
for name in [n for n in os.environ if n.startswith("SEGMENT_")]:
    del os.environ[name]

import pytest  # noqa: E402

from tests.helpers import MALL_CSV, States, Warehouse, succeed  # noqa: E402

TESTS = Path(__file__).resolve().parent
LANES = ("unit", "flow", "integration")


def lane_of(item: pytest.Item) -> str:
    relative = Path(str(item.path)).resolve().relative_to(TESTS)
    assert relative.parts[0] in LANES, f"{relative}: tests live in tests/unit, tests/flow or tests/integration"
    return relative.parts[0]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores, at most eight. About a fifth of a worker's time is
    spent waiting (on its Prefect server, on subprocesses, on a run's visibility delay); a third
    worker on two cores fills it (measured: 378 s with two workers, 312-340 s with three). Each
    worker starts its own Prefect server, hence the cap."""
    return min(len(os.sched_getaffinity(0)) + 1, 8)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its lane, from the folder it is in, and order the lanes.

    In one process the fast lanes run first, so a broken unit shows in seconds. On several workers
    the slow lane is handed out first and the many small unit modules fill the gaps at the end:
    handed out last, one long integration module would keep one worker busy while the other idles.
    """
    for item in items:
        item.add_marker(getattr(pytest.mark, lane_of(item)))
    distributed = bool(getattr(config.option, "numprocesses", None)) or "PYTEST_XDIST_WORKER" in os.environ
    order = LANES[::-1] if distributed else LANES
    items.sort(key=lambda item: order.index(lane_of(item)))  # stable: file order kept within a lane


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One Prefect test server for the whole session; subprocesses reach it through PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

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


@pytest.fixture(scope="session")
def states(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> States:
    return States(tmp_path_factory.mktemp("states"))


def first_mall_run_of(db: Path) -> dict:
    return succeed("run", "--source", MALL_CSV, "--period", "2026Q1", "--db", db)


@pytest.fixture
def mall_run(states: States) -> Warehouse:
    """A warehouse after one run of the real Mall data for 2026Q1 (made once per session, copied back per test)."""
    return states.get("first Mall run", first_mall_run_of)
