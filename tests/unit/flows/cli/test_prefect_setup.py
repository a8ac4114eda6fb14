"""flows/cli/prefect_setup.py: Prefect set up before it is imported, its API's outage told apart
from a bug, and expected errors logged without a traceback. No server: errors are made by hand."""

from __future__ import annotations

import logging
import os
import sys

import httpx
import pytest

from flows import logs
from flows.cli import prefect_setup
from segmentation.errors import PipelineError


def http_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:1/api/flow_runs/")
    return httpx.HTTPStatusError("server said no", request=request, response=httpx.Response(status, request=request))


def test_an_api_that_does_not_answer_is_told_apart_from_a_bug() -> None:
    assert prefect_setup.unreachable(httpx.ConnectError("refused"))
    assert prefect_setup.unreachable(ConnectionResetError())
    assert prefect_setup.unreachable(http_error(503))
    assert not prefect_setup.unreachable(http_error(404))  # it answered: a bug of ours, or a missing object
    assert not prefect_setup.unreachable(KeyError("period"))


def test_an_outage_is_found_down_a_chain_of_causes() -> None:
    try:
        try:
            raise httpx.ReadTimeout("no answer")
        except httpx.ReadTimeout as cause:
            raise RuntimeError("Prefect's engine gave up") from cause
    except RuntimeError as error:
        wrapped = error
    assert prefect_setup.unreachable(wrapped)


def test_expected_errors_lose_their_traceback_and_keep_their_message() -> None:
    keep = logs.SayFailureOnce()
    ours = logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, "run failed: %s", ("x",), None)
    ours.exc_info = (PipelineError, PipelineError("bad input"), None)
    bug = logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, "crashed", (), None)
    bug.exc_info = (KeyError, KeyError("period"), None)
    assert keep.filter(ours)  # both are still logged ...
    assert keep.filter(bug)
    assert ours.exc_info is None  # ... ours without a traceback (its message says it all)
    assert ours.getMessage() == "run failed: x"
    assert bug.exc_info is not None  # a bug keeps its traceback


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """prepare_prefect writes os.environ and logging's switches: give it copies, put back after."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    monkeypatch.setattr(os, "environ", environ)
    monkeypatch.setattr(logging, "raiseExceptions", True)
    monkeypatch.setattr(logging, "captureWarnings", lambda capture: environ.update(CAPTURED=str(capture)))
    return environ


def test_prepare_quiets_prefects_console_unless_asked(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "modules", {k: v for k, v in sys.modules.items() if not k.startswith("prefect")})
    prefect_setup.prepare_prefect(verbose=False)
    assert environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "CRITICAL"  # every line still reaches the API
    assert environ["PREFECT_CLIENT_MAX_RETRIES"] == "2"  # an outage shows in seconds, not a minute
    assert environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert environ["CAPTURED"] == "True"
    assert logging.raiseExceptions is False  # no "--- Error logging to API ---" after our error
    prefect_setup.prepare_prefect(verbose=False)  # twice (a backfill's periods): one filter, not two
    filters = logging.getLogger("prefect.flow_runs").filters
    assert sum(isinstance(f, logs.SayFailureOnce) for f in filters) == 1


def test_prepare_leaves_the_console_alone_with_verbose_or_a_level_set(environ: dict[str, str]) -> None:
    prefect_setup.prepare_prefect(verbose=True)
    assert "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL" not in environ
    environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    prefect_setup.prepare_prefect(verbose=False)
    assert "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL" not in environ
