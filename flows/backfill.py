"""Backfills: one segmentation run per period, in order, in-process or through a deployment.

In-process, the periods run one after another. Through a deployment they are submitted in order,
but the worker starts them together and they publish one at a time in the order they get the
writer lock; `wait_s` makes each submission wait for its run, so they run in period order.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from flows.parameters import bind
from flows.segment import segment_customers
from segmentation.errors import PipelineError
from segmentation.periods import Period
from segmentation.settings import make_settings
from warehouse import Warehouse, WarehouseError, queries
from warehouse.connection import utc_now


@dataclass(frozen=True)
class Outcome:
    """One period of a backfill."""

    period: str
    outcome: str  # succeeded, skipped, failed, or a Prefect state name for submitted runs
    k: int | None = None
    run_id: str | None = None
    message: str | None = None


def backfill_in_process(
    periods: list[Period],
    *,
    source: str | None,
    db: str | None,
    force: bool,
    k: int | None = None,
    columns: dict[str, str] | None = None,
    delimiter: str | None = None,
    orders: dict[str, object] | None = None,
) -> list[Outcome]:
    """Run the flow once per period, in order; a failing period does not stop the others.

    `orders`: the order-history flow parameters (orders, attributes, date_format, lookback_months), if any."""
    outcomes = []
    for period in periods:
        cadence = "quarterly" if period.kind == "quarter" else "monthly"
        started = utc_now()
        try:
            summary = segment_customers(
                **bind(
                    period=period.label,
                    source=source,
                    db=db,
                    k=k,
                    cadence=cadence,
                    skip_if_succeeded=not force,
                    columns=columns,
                    delimiter=delimiter,
                    **(orders or {}),
                )
            )
        except (PipelineError, WarehouseError) as error:
            outcomes.append(Outcome(period.label, "failed", run_id=run_since(db, period, started), message=str(error)))
            continue
        outcomes.append(Outcome(period.label, summary.status, summary.k, summary.run_id))
    return outcomes


def run_since(db: str | None, period: Period, started: datetime) -> str | None:
    """The run a failed period left (its report says why), read on the BI surface; None if it
    failed before a run was recorded (the writer lock, say) or the surface cannot be read."""
    handle = Warehouse.of(make_settings(db_path=db))
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
    source: str | None,
    db: str | None,
    force: bool,
    batch: str | None = None,
    wait_s: float = 0,
    orders: dict[str, object] | None = None,
) -> list[Outcome]:
    """Submit one deployment run per period (with an idempotency key); optionally wait for each."""
    name = deployment if "/" in deployment else f"segment-customers/{deployment}"
    batch = batch or datetime.now(UTC).strftime("%Y-%m-%d")
    if force:
        batch = f"{batch}-force-{uuid.uuid4().hex[:8]}"
    outcomes = []
    for period in periods:
        parameters: dict[str, object] = {"period": period.label, "skip_if_succeeded": not force}
        if source:
            parameters["source"] = source
        if db:
            parameters["db"] = db
        parameters |= {name: value for name, value in (orders or {}).items() if value is not None}
        try:
            run = run_deployment(
                name,
                parameters=bind(**parameters),
                timeout=wait_s,
                idempotency_key=idempotency_key(
                    name, period, source=source or str((orders or {}).get("orders")), db=db, batch=batch
                ),
                as_subflow=False,
            )
        except ObjectNotFound:
            raise PipelineError(
                f"deployment {name!r} is not on the Prefect server at {PREFECT_API_URL.value() or '(none set)'}: "
                "set PREFECT_API_URL and run `prefect --no-prompt deploy --all` first (README: Scheduling)"
            ) from None
        state = run.state.name if run.state else "Submitted"
        outcomes.append(Outcome(period.label, state, run_id=str(run.id), message=run.name))
    return outcomes
