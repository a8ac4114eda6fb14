"""The segmentation flow: one run of the diagram in DESIGN.md, for one period."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from prefect import flow, unmapped
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import logs
from flows.lifecycle import PeriodRun, period_run
from flows.parameters import resolve, takes_parameters
from segmentation.errors import PeriodError
from segmentation.matrix import scaling_of
from segmentation.periods import Period, just_ended, resolve_source
from segmentation.results import OrderInput, Outlook, RunSummary, Segments
from segmentation.settings import Cadence, Settings
from tasks.continuity import compare
from tasks.features import build_features
from tasks.fit import fit, save_artifact
from tasks.forecast import look_forward
from tasks.identity import identify, identify_scored
from tasks.ingest import ingest, keep_failed_source
from tasks.orders import customer_features, ingest_orders
from tasks.profile import profile
from tasks.publish import publish
from tasks.score import load_scoring_model, score
from tasks.select_k import decide_k, feasible_ks, score_candidate
from tasks.validate import validate

logs.install()


def resolve_period(period: str | None, cadence: Cadence) -> Period:
    """An explicit period, or the one that ended before the run's scheduled start."""
    if period:
        return Period.parse(period)
    return just_ended(flow_run.scheduled_start_time, cadence)


def run_name() -> str:
    """Name flow runs after their period so the Prefect UI reads as a calendar."""
    parameters = flow_run.parameters
    try:
        label = resolve_period(parameters.get("period"), parameters.get("cadence", "quarterly")).label
    except PeriodError:
        label = f"invalid-period-{parameters.get('period')}"
    return f"segment-{label}"


def candidate_runner(settings: Settings) -> TaskRunner:
    """Where candidate k are fitted: one thread per core here, or the Dask cluster named."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner  # only runs that use a cluster import Dask

        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


def read_customers(run: PeriodRun) -> tuple[pa.Table, Any, OrderInput | None]:
    """The period's customers: an order history's behaviour as of the period's end, or a customer table."""
    settings = run.settings
    if not settings.orders:
        ingested = ingest(settings, run.warehouse, run.run_id, run.source)
        return validate(ingested), ingested, None
    run.history = history = ingest_orders(settings, run.source, run.period)  # the run releases it when it ends
    attributes = resolve_source(settings.attributes, run.period) if settings.attributes else None
    customers, facts = customer_features(settings, history, run.period, attributes)
    return customers, history, OrderInput(history, facts, settings.lookback_months, attributes)


def fit_segments(run: PeriodRun, customers: pa.Table) -> Segments:
    """Choose k on the selection sample, refine it on everyone, give the segments their IDs."""
    settings = run.settings
    features = build_features(settings, customers, run.source)
    ks = feasible_ks(settings.candidate_ks, customers.num_rows)
    with candidate_runner(settings) as runner:
        scores = runner.map(
            score_candidate,
            {"settings": unmapped(settings), "sample": unmapped(features.selection_matrix), "k": ks},
        ).result()
    choice, k_table = decide_k(settings, scores)
    assignment = fit(settings, features, choice)
    identity = identify(settings, run.warehouse, run.period, features, assignment, customers)
    profiles = profile(settings, customers, features.names, identity.assignment, identity.names)
    continuity = compare(settings, run.warehouse, identity, customers, profiles, features.names)
    artifact = save_artifact(settings, run.run_id, identity.assignment)
    return Segments(
        mode="fit",
        model_run_id=None,
        model_period=None,
        features=features.names,
        scaling=scaling_of(features.scaler, features.names),
        selection_rows=len(features.selection),
        choice=choice,
        k_table=k_table,
        identity=identity,
        profiles=profiles,
        continuity=continuity,
        artifact=artifact,
    )


def score_segments(run: PeriodRun, customers: pa.Table) -> Segments:
    """Assign the customers with an earlier fitted run's model (never a later one); nothing is refitted."""
    settings = run.settings
    model = load_scoring_model(run.warehouse, run.request.model_run_id, run.period)
    assignment = score(settings, customers, model)
    identity = identify_scored(run.warehouse, run.period, model, assignment)
    profiles = profile(settings, customers, model.features, identity.assignment, identity.names)
    continuity = compare(settings, run.warehouse, identity, customers, profiles, model.features)
    return Segments(
        mode="score",
        model_run_id=model.run_id,
        model_period=model.period,
        features=model.features,
        scaling=scaling_of(model.estimator.scaler, model.features),
        selection_rows=min(customers.num_rows, settings.k_sample_size),
        choice=None,
        k_table=None,
        identity=identity,
        profiles=profiles,
        continuity=continuity,
        artifact=(model.path, model.sha256),
    )


def forecast_segments(
    run: PeriodRun, customers: pa.Table, segments: Segments, orders: OrderInput | None
) -> Outlook | None:
    """Looking forward (order histories): every customer's and segment's outlook, earlier forecasts measured."""
    if orders is None or not run.settings.forecast:
        return None  # a customer table has no order history to forecast from (or SEGMENT_FORECAST=false)
    return look_forward(
        run.settings,
        run.warehouse,
        run_id=run.run_id,
        period=run.period,
        history=orders.history,
        customers=customers,
        segment_ids=segments.identity.assignment.segment_ids,
        names=segments.identity.names,
        model_run_id=segments.model_run_id,
        compared_run_id=segments.continuity.compared_run_id,
    )


# What the flow body itself concluded: its summary or its error. When Prefect's API stops
# answering mid-run, the engine cannot report the run's end and raises a connection error
# instead; the command line then reports this, the run's real outcome (flows/cli/prefect_setup.py).
OUTCOME: dict[str, object] = {}


def remember_outcome(body: Callable[..., RunSummary]) -> Callable[..., RunSummary]:
    @functools.wraps(body)
    def run(*args: object, **kwargs: object) -> RunSummary:
        OUTCOME.clear()
        try:
            OUTCOME["summary"] = body(*args, **kwargs)
        except BaseException as error:
            OUTCOME["error"] = error
            raise
        return OUTCOME["summary"]

    return run


@flow(name="segment-customers", flow_run_name=run_name, validate_parameters=True)
@remember_outcome
@takes_parameters("Segment the customers of one period and publish the result to the warehouse.")
def segment_customers(**parameters: Any) -> RunSummary:
    request, settings = resolve(parameters)
    period = resolve_period(request.period, request.cadence)
    source = resolve_source(settings.orders or settings.customer_source, period)
    keep = None if settings.orders else keep_failed_source  # raw_customers holds customer tables only
    with period_run(request, settings, period, source=source, keep_source=keep) as run:
        if run.skipped:
            return run.summary
        customers, ingested, orders = read_customers(run)
        segments = score_segments(run, customers) if request.mode == "score" else fit_segments(run, customers)
        outlook = forecast_segments(run, customers, segments, orders)
        summary = publish(
            settings,
            run.warehouse,
            run_id=run.run_id,
            period=period,
            ingested=ingested,
            customers=customers,
            segments=segments,
            orders=orders,
            outlook=outlook,
        )
        run.published(summary)
    return run.summary
