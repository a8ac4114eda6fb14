"""Prefect, as the command line starts and ends it: set up before it is imported, told apart
when its API stops answering, and its exit handlers run after the work is done."""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from typing import Any

from rich.console import Console

from flows import logs
from flows.cli.errors import fail

# Prefect's API stopped answering during the run (see outcome_without_api).
api_lost = False


def prepare_prefect(*, verbose: bool) -> None:
    """Before Prefect is imported: no telemetry, and its console log only when asked for."""
    # Telemetry cannot reach its host from a closed network and then locks Prefect's SQLite.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A run's truth is the warehouse: if Prefect's API stops answering, a call to it gives up
    # after two retries (six seconds), not five (about a minute).
    os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "2")
    # Prefect's log sender writes "--- Error logging to API ---" to stderr when it cannot reach
    # the API, even after our error; the standard library's switch for handler errors stops it.
    logging.raiseExceptions = False
    # A temporary server on a busy machine may take longer than Prefect's default 20 s to start.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    quiet = not verbose and "PREFECT_LOGGING_LEVEL" not in os.environ
    if quiet and "prefect" not in sys.modules:
        # Only the console copy goes: every line still reaches Prefect's API and UI.
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
        os.environ.setdefault("PREFECT_INTERNAL_LOGGING_LEVEL", "CRITICAL")  # its event sender's errors
        logging.captureWarnings(True)
    logs.install()  # expected errors: no traceback, their message said once


def unreachable(error: BaseException) -> bool:
    """Whether an error is, or was caused by, Prefect's API not answering (or answering 5xx)."""
    import httpx

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, httpx.TransportError | ConnectionError):
            return True
        if isinstance(seen, httpx.HTTPStatusError) and seen.response.status_code >= 500:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def outcome_without_api(error: BaseException, *, as_json: bool, period: str) -> Any:
    """The run's own outcome when Prefect's engine could not report it; one warning line."""
    global api_lost
    from flows.segment import OUTCOME

    api_lost = True
    if not OUTCOME:
        raise fail(f"Prefect's API stopped answering before the run began; nothing ran ({error})", as_json=as_json)
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print(
        "[yellow]warning:[/] Prefect's API stopped answering during the run: the Prefect UI's record of it is "
        "incomplete; the warehouse has the run's real outcome, below.",
        markup=True,
    )
    if "summary" in OUTCOME:
        return OUTCOME["summary"]
    raise fail(OUTCOME["error"], as_json=as_json, period=period) from None


def run_exit_handlers() -> None:
    """Prefect's exit handlers, and ours. When its API stopped answering during the run, its
    last logs and events can only fail: they get three seconds, and their complaints are not
    printed (the warning said it once)."""
    if not api_lost:
        atexit._run_exitfuncs()
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        handlers = threading.Thread(target=atexit._run_exitfuncs, daemon=True)
        handlers.start()
        handlers.join(timeout=3)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(devnull)
