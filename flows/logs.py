"""A failed run's message said once in its logs, and no traceback for errors whose message says it all.

Our own errors state everything in their message. The run's lifecycle logs it once ("run …
failed: …", flows/lifecycle.py); Prefect repeats it as the task's exception, the task's final
state, the flow's exception and the flow's final state. One filter on Prefect's run loggers drops
the traceback of such errors (the command line's too: it installs the same filter) and, where a
line repeats the message of an error it has seen, keeps the line and points at the run's own line
instead of the message. The flow's lines keep the message when no run was recorded to carry it (a
failure before the run started: the writer lock, a bad period). It finds a repeat by our error's
own text, never by the wording of Prefect's lines, which Prefect may change.
"""

from __future__ import annotations

import logging
from collections import deque

import pydantic

from segmentation.errors import FAILURE_RECORD, PipelineError
from warehouse import WarehouseError

# Errors whose message says it all: no traceback, one line (with its hints).
EXPECTED_ERRORS = (PipelineError, WarehouseError, pydantic.ValidationError)
RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs")
POINTER = "… (its message: the line 'run … failed')"


def first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


class SayFailureOnce(logging.Filter):
    """See the module docstring. Remembers the last few errors it saw (a bounded window: a
    long-lived worker runs many flows)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: deque[BaseException] = deque(maxlen=8)

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, EXPECTED_ERRORS):
            record.exc_info, record.exc_text = None, None  # the message says it all: no traceback
            if error not in self.seen:
                self.seen.append(error)
        if record.levelno < logging.INFO or getattr(record, FAILURE_RECORD, False):
            return True
        flow_level = record.name == "prefect.flow_runs"
        for seen in self.seen:
            if flow_level and not getattr(seen, "recorded_in_run", False):
                continue  # no run line carries it: the flow's line must
            shortened = self.without(record.getMessage(), first_line(seen))
            if shortened is not None:
                record.msg, record.args = shortened, ()
                break
        return True

    @staticmethod
    def without(message: str, text: str) -> str | None:
        """`message` up to where it repeats `text` (as written, or escaped inside a repr), then a
        pointer to the run's line; None when it does not repeat it."""
        for form in (text, repr(text)[1:-1]):
            at = message.find(form) if form else -1
            if at >= 0:
                return message[:at].rstrip(" :('\"") + " " + POINTER
        return None


def install() -> None:
    """Put the filter on Prefect's run loggers (once), first: before any filter that drops the
    exception. Called when the flow module is imported, so a worker running the deployments gets it."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SayFailureOnce) for f in logger.filters):
            logger.filters.insert(0, SayFailureOnce())
