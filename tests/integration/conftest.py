"""Integration tests start processes; those that run `segment` reach the session's Prefect test server."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _prefect_server(prefect_server: str) -> str:
    return prefect_server
