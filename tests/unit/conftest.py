"""Unit tests use no Prefect server: run alone, a call that reaches for one fails at once here
instead of quietly starting a temporary server (with the flow lanes, the session's test server
answers, so this only guards `pytest tests/unit`)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_prefect_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
