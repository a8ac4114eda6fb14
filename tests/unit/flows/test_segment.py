"""The flow module's pure parts: the period a run segments, and a failure said once in its logs."""

from __future__ import annotations

import logging

import pytest

from flows.segment import SayFailureOnce, resolve_period
from segmentation.errors import DataError, InputFileError, PeriodError


def test_an_explicit_period_is_parsed_whatever_the_cadence() -> None:
    assert resolve_period("2025Q3", "monthly").label == "2025Q3"
    with pytest.raises(PeriodError, match="neither a quarter"):
        resolve_period("Q3", "quarterly")


def record(msg: str, *, name: str = "prefect.task_runs", error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (), exc_info)


def test_our_errors_lose_their_traceback_and_repeat_only_their_type() -> None:
    line = record("Task run failed with exception: DataError('too few')", error=DataError("too few"))
    assert SayFailureOnce().filter(line)
    assert line.exc_info is None
    assert line.getMessage() == "Task run failed with exception: DataError (its message: the line 'run … failed')"


def test_a_flow_level_error_keeps_its_message_when_no_run_recorded_it() -> None:
    error = InputFileError("c.csv: no such file")
    line = record("Encountered exception during execution: c.csv: no such file", name="prefect.flow_runs", error=error)
    assert SayFailureOnce().filter(line)
    assert line.getMessage() == "Encountered exception during execution: c.csv: no such file"
    error.recorded_in_run = True  # the run's own "run … failed" line carries it
    line = record("Encountered exception during execution: c.csv: no such file", name="prefect.flow_runs", error=error)
    SayFailureOnce().filter(line)
    assert (
        line.getMessage()
        == "Encountered exception during execution: InputFileError (its message: the line 'run … failed')"
    )


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("Finished in state Failed('Task run encountered an exception: ValidationFailed: 4 values ...')",
         "Finished in state Failed (ValidationFailed)"),
        ("Finished in state Failed('Flow run encountered an exception: KeyError: boom')",
         "Finished in state Failed('Flow run encountered an exception: KeyError: boom')"),  # not ours: all of it
        ("Finished in state Completed()", "Finished in state Completed()"),
    ],
)  # fmt: skip
def test_final_states_of_our_errors_say_the_type_only(message: str, kept: str) -> None:
    line = logging.LogRecord("prefect.flow_runs", logging.INFO, __file__, 1, message, (), None)
    assert SayFailureOnce().filter(line)
    assert line.getMessage() == kept


def test_the_filter_is_installed_on_prefects_run_loggers() -> None:
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, SayFailureOnce) for f in filters) == 1
