"""Errors a user can act on: one family, and the validation failures travel with theirs."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.errors import (
    AuditFailed,
    DataError,
    InputFileError,
    ModelIntegrityError,
    PeriodError,
    PipelineError,
    ValidationFailed,
)


@pytest.mark.parametrize("kind", [InputFileError, DataError, AuditFailed, ModelIntegrityError, PeriodError])
def test_every_error_is_a_pipeline_error_with_its_message(kind: type[PipelineError]) -> None:
    with pytest.raises(PipelineError, match=r"^what went wrong$"):
        raise kind("what went wrong")


def test_a_period_error_is_also_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)
    assert not issubclass(InputFileError, ValueError)


def test_validation_failed_carries_its_failures() -> None:
    failures = pd.DataFrame({"column_name": ["age"], "source_line": [3]})
    error = ValidationFailed("1 value breaks the contract", failures)
    assert str(error) == "1 value breaks the contract"
    assert error.failures is failures
