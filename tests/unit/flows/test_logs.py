"""A failed run's message said once in its logs: the filter finds repeats by our error's own text."""

from __future__ import annotations

import logging

import pytest

from flows import logs
from segmentation.errors import FAILURE_RECORD, DataError, InputFileError, ValidationFailed


def record(msg: str, *, name: str = "prefect.task_runs", error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (), exc_info)


def test_our_errors_lose_their_traceback_and_a_repeat_points_at_the_run_line() -> None:
    keep = logs.SayFailureOnce()
    line = record(
        "Task run failed with exception: DataError('too few') - Retries are exhausted", error=DataError("too few")
    )
    assert keep.filter(line)
    assert line.exc_info is None
    assert line.getMessage() == f"Task run failed with exception: DataError {logs.POINTER}"


def test_a_final_state_repeating_a_seen_message_is_shortened_whatever_its_wording() -> None:
    keep = logs.SayFailureOnce()
    error = ValidationFailed(
        "orders.csv: 4 value(s) in 2 order line(s) break the order contract:\n  - amount ...", None
    )
    keep.filter(record("any words at all", error=error))
    state = logging.LogRecord(
        "prefect.task_runs", logging.INFO, __file__, 1, f"Ended as Failed({str(error)!r})", (), None
    )  # another wording than Prefect's today, and the message escaped inside a repr
    keep.filter(state)
    assert state.getMessage() == f"Ended as Failed {logs.POINTER}"


def test_the_run_line_itself_keeps_the_message() -> None:
    keep = logs.SayFailureOnce()
    error = DataError("too few customers")
    keep.filter(record("x", error=error))
    line = record("run r1 failed: too few customers")
    setattr(line, FAILURE_RECORD, True)
    keep.filter(line)
    assert line.getMessage() == "run r1 failed: too few customers"


def test_a_flow_level_error_keeps_its_message_when_no_run_recorded_it() -> None:
    keep = logs.SayFailureOnce()
    error = InputFileError("c.csv: no such file")
    line = record("Encountered exception during execution: c.csv: no such file", name="prefect.flow_runs", error=error)
    keep.filter(line)
    assert line.getMessage() == "Encountered exception during execution: c.csv: no such file"
    error.recorded_in_run = True  # the run's own "run … failed" line carries it
    line = record("Encountered exception during execution: c.csv: no such file", name="prefect.flow_runs", error=error)
    keep.filter(line)
    assert line.getMessage() == f"Encountered exception during execution {logs.POINTER}"


@pytest.mark.parametrize("message", ["Finished in state Completed()", "Flow run encountered an exception: KeyError: x"])
def test_lines_about_other_errors_are_left_alone(message: str) -> None:
    keep = logs.SayFailureOnce()
    keep.filter(record("x", error=DataError("too few")))
    line = logging.LogRecord("prefect.flow_runs", logging.INFO, __file__, 1, message, (), None)
    keep.filter(line)
    assert line.getMessage() == message


def test_a_bug_keeps_its_traceback() -> None:
    line = record("Task run failed with exception: ValueError('bug')", error=ValueError("bug"))
    logs.SayFailureOnce().filter(line)
    assert line.exc_info is not None


def test_it_remembers_only_the_last_few_errors() -> None:
    keep = logs.SayFailureOnce()
    for number in range(50):
        keep.filter(record("x", error=DataError(f"error {number}")))
    assert len(keep.seen) <= 8


def test_the_filter_is_installed_once_on_prefects_run_loggers() -> None:
    logs.install()
    logs.install()
    for name in logs.RUN_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, logs.SayFailureOnce) for f in filters) == 1
