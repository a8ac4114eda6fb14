"""The unit lane: pure functions and commands that never start Prefect, in seconds."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> str:
    """No Prefect server here: this overrides the session server of tests/conftest.py."""
    return ""
