"""Which fitted run's model scores a period: light on purpose (the command line asks before
Prefect starts, the flow asks again on the warehouse)."""

from __future__ import annotations

from datetime import date

from segmentation.errors import PipelineError
from segmentation.periods import Period


def choose_model_run(
    run_id: str | None,
    named: tuple[str, str, str, str, date] | None,
    current: tuple[str, str, str, str] | None,
    period: Period,
) -> tuple[str, str, str, str]:
    """The fitted run to score `period` with: the one named (`run_id`, found as `named`), else the
    newest fitted run of a period ending at or before it (`current`); never a model from the future.

    Args:
        run_id: the run asked for (--model-run), or None.
        named: (run_id, period, model_path, model_sha256, period_end) of that run, if it is a
            succeeded fitted run of the warehouse.
        current: (run_id, period, model_path, model_sha256) of the current fitted run, if any.
        period: the period to score.

    Returns:
        (run_id, period, model_path, model_sha256).

    Raises:
        PipelineError: no such run, a later one, or none at all.
    """
    if run_id:
        if named is None:
            raise PipelineError(
                f"run {run_id} is not a succeeded fitted run of this warehouse; it has no model to score with "
                "(`segment runs` lists them)"
            )
        if named[4] > period.end:
            raise PipelineError(
                f"run {run_id} fitted {named[1]}, which ends after {period} ({named[4]} > {period.end}): scoring "
                f"{period} with it would use a model from the period's future; name an earlier fitted run"
            )
        return tuple(named[:4])  # type: ignore[return-value]
    if current is None:
        raise PipelineError(
            f"this warehouse has no succeeded fitted run of a period ending by {period.end} to score {period} with: "
            f"run `segment run --period {period}` (or an earlier period) first"
        )
    return tuple(current)  # type: ignore[return-value]
