"""Errors a user can act on. The command line prints their message alone, never a traceback."""

from __future__ import annotations

# Set (as `extra`) on the one log record that states a failed run's message in full ("run … failed"):
# the log filter that shortens Prefect's repeats of it leaves this one alone (flows/logs.py).
FAILURE_RECORD = "segment_failure_record"


class PipelineError(Exception):
    """A run failed for a reason stated in full in the message."""


class PeriodError(PipelineError, ValueError):
    """A period label or range that is not a quarter or month, or not in order."""


class InputFileError(PipelineError):
    """The source file cannot be read as the contract requires (missing, empty, ragged, ...)."""


class PostgresSourceError(InputFileError):
    """An order history in PostgreSQL cannot be read: the server, the credentials, the database, the
    table or query, a privilege or a column; the message names it with the password masked, and a hint."""


class ValidationFailed(PipelineError):
    """Rows broke the input contract; `failures` holds one row per failed check of one value."""

    def __init__(self, message: str, failures: object) -> None:
        super().__init__(message)
        self.failures = failures


class DataError(PipelineError):
    """The data is valid but cannot be segmented (too few rows, a constant feature, ...)."""


class AuditFailed(PipelineError):
    """A post-write audit found bad rows; the publish transaction was rolled back."""


class ModelIntegrityError(PipelineError):
    """A model file does not match the sha256 recorded for it."""


def too_few_customers(n_customers: int, k: int) -> DataError | None:
    """The error when `n_customers` cannot be split into `k` or more segments (K-Means needs more
    customers than segments), else None. The one statement of that rule."""
    if n_customers > k:
        return None
    return DataError(f"{n_customers} customer(s) cannot be split into {k} or more segments: need more than {k} rows")
