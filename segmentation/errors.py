"""Errors a user can act on. The command line prints their message alone, never a traceback."""

from __future__ import annotations


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
