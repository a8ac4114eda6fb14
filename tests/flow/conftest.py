"""Flow tests run flows in this process, on the session's Prefect test server (started on first use)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _prefect_server(prefect_server: str) -> str:
    return prefect_server
