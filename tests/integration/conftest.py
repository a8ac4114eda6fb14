"""Integration tests start processes; those that run `segment` reach the session's Prefect test server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import OLD_DUCKDB, OLD_DUCKDB_DIR
from tests.postgres import postgres_server  # noqa: F401  (a fixture: a real PostgreSQL server for the session)


@pytest.fixture(scope="session", autouse=True)
def _prefect_server(prefect_server: str) -> str:
    return prefect_server


@pytest.fixture(scope="session")
def old_duckdb() -> Path:
    """DuckDB 1.x in a folder of its own, as a BI driver would bundle it: `.ci/run` installs it; tests
    never download it. Absent, the test fails saying how to install it: a skip here once hid that
    the check no longer ran."""
    if not (OLD_DUCKDB_DIR / "duckdb").is_dir():
        pytest.fail(
            f"DuckDB {OLD_DUCKDB} is not in {OLD_DUCKDB_DIR}: "
            f"pip install --no-deps --target .old-duckdb duckdb=={OLD_DUCKDB} (as .ci/run does)"
        )
    return OLD_DUCKDB_DIR
