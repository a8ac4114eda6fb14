"""Backfills: one segmentation run per period, in order, in-process or through a deployment.

In-process, the periods run one after another and an order history is read, typed and checked
once for all of them (the first period's run reads it; the others use what it read). A file that
fails its checks fails the backfill once: its first period's run records the failure, and the
periods after it are not run. Through a deployment the runs are submitted in order, but the worker
starts them together and they publish one at a time in the order they get the writer lock;
`wait_s` makes each submission wait for its run, so they run in period order.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import duckdb
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from flows.parameters import bind, resolve
from flows.segment import segment_customers
from segmentation.errors import InputFileError, PipelineError, ValidationFailed
from segmentation.periods import Period
from segmentation.results import PeriodOutcome
from tasks.orders import read_once
from warehouse import Warehouse, WarehouseError, queries
from warehouse.connection import utc_now

# Errors of the order history itself: every later period would fail the same way.
READING_ERRORS = (InputFileError, ValidationFailed)


def backfill_in_process(periods: list[Period], *, parameters: dict[str, object], force: bool) -> list[PeriodOutcome]:
    """Run the flow once per period, in order; a failing period does not stop the others, unless
    the order history itself failed its checks (then the periods after it are not run).

    Args:
        periods: the periods, in order.
        parameters: the flow's parameters for every period (period, cadence and skipping are set here).
        force: run periods that already succeeded again.
    """
    outcomes: list[PeriodOutcome] = []
    with read_once(until=max(p.end for p in periods)):  # a table is read up to the last period's end
        for number, period in enumerate(periods):
            cadence = "quarterly" if period.kind == "quarter" else "monthly"
            started = utc_now()
            try:
                summary = segment_customers(
                    **bind(**parameters, period=period.label, cadence=cadence, skip_if_succeeded=not force)
                )
            except (PipelineError, WarehouseError) as error:
                run_id = run_since(parameters, period, started)
                outcomes.append(PeriodOutcome(period.label, "failed", run_id=run_id, message=str(error)))
                if isinstance(error, READING_ERRORS) and "{period}" not in str(parameters.get("orders") or "{period}"):
                    reason = f"not run: the order history failed its checks in {period.label}'s run"
                    outcomes += [PeriodOutcome(p.label, "not run", message=reason) for p in periods[number + 1 :]]
                    break
                continue
            outcomes.append(PeriodOutcome(period.label, summary.status, summary.k, summary.run_id))
    return outcomes


def run_since(parameters: dict[str, object], period: Period, started: datetime) -> str | None:
    """The run a failed period left (its report says why), read on the BI surface; None if it
    failed before a run was recorded (the writer lock, say) or the surface cannot be read."""
    _, settings = resolve(parameters)
    handle = Warehouse.of(settings)
    if not handle.bi_path.exists():
        return None
    try:
        with handle.read_bi() as con:
            return queries.run_since(con, period.label, started)
    except (WarehouseError, duckdb.Error):
        return None


def idempotency_key(deployment: str, period: Period, *, source: str | None, db: str | None, batch: str) -> str:
    """The same backfill batch submitted twice creates each period's flow run once."""
    where = hashlib.sha256(f"{source}\0{db}".encode()).hexdigest()[:12]
    return f"segment-backfill/{deployment}/{period.label}/{where}/{batch}"


def backfill_via_deployment(
    periods: list[Period],
    *,
    deployment: str,
    parameters: dict[str, object],
    force: bool,
    batch: str | None = None,
    wait_s: float = 0,
) -> list[PeriodOutcome]:
    """Submit one deployment run per period (with an idempotency key); optionally wait for each.

    `parameters`: only those given; the deployment's own values stand for the rest."""
    name = deployment if "/" in deployment else f"segment-customers/{deployment}"
    batch = batch or datetime.now(UTC).strftime("%Y-%m-%d")
    if force:
        batch = f"{batch}-force-{uuid.uuid4().hex[:8]}"
    source = parameters.get("source") or parameters.get("orders")
    outcomes = []
    for period in periods:
        given = {key: value for key, value in parameters.items() if value is not None}
        key = idempotency_key(name, period, source=str(source), db=parameters.get("db"), batch=batch)
        try:
            run = run_deployment(
                name,
                parameters=bind(**given, period=period.label, skip_if_succeeded=not force),
                timeout=wait_s,
                idempotency_key=key,
                as_subflow=False,
            )
        except ObjectNotFound:
            raise PipelineError(
                f"deployment {name!r} is not on the Prefect server at {PREFECT_API_URL.value() or '(none set)'}: "
                "set PREFECT_API_URL and run `prefect --no-prompt deploy --all` first (README: Scheduling)"
            ) from None
        state = run.state.name if run.state else "Submitted"
        outcomes.append(PeriodOutcome(period.label, state, run_id=str(run.id), message=run.name))
    return outcomes
