"""The segmentation flow: one run of the diagram in DESIGN.md, for one period."""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Literal

import pyarrow as pa
from prefect import flow, unmapped
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from segmentation.csvfile import path_from_parameter
from segmentation.errors import PeriodError, PipelineError
from segmentation.periods import Period, just_ended, resolve_source
from segmentation.settings import SAMPLE_SOURCE, Cadence, Settings, make_settings
from tasks.continuity import compare
from tasks.features import build_features, scaling_of
from tasks.fit import fit, save_artifact
from tasks.identity import identify
from tasks.ingest import ingest
from tasks.orders import OrderHistory, customer_features, ingest_orders
from tasks.profile import profile
from tasks.publish import OrderRun, Segmentation, publish
from tasks.report import publish_artifacts, report
from tasks.runs import RunSummary, find_succeeded_run, record_failure, restated, start_run
from tasks.score import identify_scored, load_scoring_model, score
from tasks.select_k import decide_k, feasible_ks, score_candidate
from tasks.serve import serve
from tasks.validate import validate as validate_customers
from warehouse import WarehouseError, writer_lock
from warehouse.serving import ServingError

FAILED_STATE = re.compile(r"^Finished in state (Failed|Crashed)\([\"'].*? exception:? (\w+):", re.DOTALL)


def _expected_names() -> set[str]:
    names, pending = set(), [PipelineError, WarehouseError]
    while pending:
        kind = pending.pop()
        names.add(kind.__name__)
        pending += kind.__subclasses__()
    return names


class SayFailureOnce(logging.Filter):
    """A failed run's message reaches its logs once, not five times.

    Our own errors state everything in their message. `record_failure` logs it ("run … failed:
    …"), then Prefect repeats it as the task's exception, the task's final state, the flow's
    exception and the flow's final state. Those lines keep the error's type only; the flow's
    exception line keeps the message when no run was recorded to carry it (a failure before the
    run started). Installed on Prefect's run loggers when this module is imported, so a worker
    running the deployments gets it too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PipelineError | WarehouseError):
            record.exc_info, record.exc_text = None, None  # the message says it all: no traceback
            flow_level = record.name == "prefect.flow_runs"
            if not flow_level or getattr(error, "recorded_in_run", False):
                head = str(record.msg).split(":")[0]
                record.msg, record.args = f"{head}: {type(error).__name__} (its message: the line 'run … failed')", ()
            return True
        if record.levelno >= logging.INFO and str(record.msg).startswith("Finished in state"):
            found = FAILED_STATE.match(record.getMessage())
            if found and found.group(2) in _expected_names():
                record.msg, record.args = f"Finished in state {found.group(1)} ({found.group(2)})", ()
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    if not any(isinstance(f, SayFailureOnce) for f in logging.getLogger(_name).filters):
        # First, before any filter that drops the exception (the command line's does).
        logging.getLogger(_name).filters.insert(0, SayFailureOnce())


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


def fit_segments(settings: Settings, period: Period, run_id: str, customers: pa.Table, source: str) -> Segmentation:
    """Choose k on the selection sample, refine it on everyone, give the segments their IDs."""
    features = build_features(settings, customers, source)
    ks = feasible_ks(settings.candidate_ks, customers.num_rows)
    with candidate_runner(settings) as runner:
        scores = runner.map(
            score_candidate,
            {"settings": unmapped(settings), "sample": unmapped(features.selection_matrix), "k": ks},
        ).result()
    choice, k_table = decide_k(settings, scores)
    model = fit(settings, features, choice)
    identity = identify(settings, period, features, model, customers)
    profiles = profile(settings, customers, features.names, identity.model, identity.names)
    continuity = compare(settings, identity, customers, profiles, features.names)
    artifact = save_artifact(settings, run_id, identity.model)
    return Segmentation(
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


def score_segments(settings: Settings, period: Period, customers: pa.Table, model_run_id: str | None) -> Segmentation:
    """Assign the customers with an earlier fitted run's model (never a later one); nothing is refitted."""
    model = load_scoring_model(settings, model_run_id, period)
    scored = score(settings, customers, model)
    identity = identify_scored(settings, period, model, scored)
    profiles = profile(settings, customers, model.features, identity.model, identity.names)
    continuity = compare(settings, identity, customers, profiles, model.features)
    return Segmentation(
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
def segment_customers(
    period: str | None = None,
    source: str | None = None,
    db: str | None = None,
    k: int | None = None,
    features: list[str] | None = None,
    cadence: Cadence = "quarterly",
    skip_if_succeeded: bool = False,
    columns: dict[str, str] | None = None,
    delimiter: str | None = None,
    task_runner: Literal["threads", "dask"] | None = None,
    dask_address: str | None = None,
    mode: Literal["fit", "score"] = "fit",
    model_run_id: str | None = None,
    orders: str | None = None,
    attributes: str | None = None,
    date_format: str | None = None,
    lookback_months: int | None = None,
    anonymous_orders: Literal["refuse", "skip"] | None = None,
) -> RunSummary:
    """Segment the customers of one period and publish the result to the warehouse.

    Args:
        period: '2026Q1' or '2026-03'; default: the period that ended before the scheduled start.
        source: CSV or Parquet path, may contain '{period}'; default: the bundled sample.
        db: DuckDB warehouse file; default: SEGMENT_DB_PATH or ./segments.duckdb.
        k: pin the number of segments instead of choosing it (fit mode).
        features: columns to cluster on; default: annual_income, spending_score (fit mode).
        cadence: 'quarterly' or 'monthly', for deriving the default period.
        skip_if_succeeded: do nothing if the period already has a succeeded run (backfills).
        columns: contract column -> the source's header, for headers the contract does not know.
        delimiter: the CSV delimiter (comma, semicolon, tab); default: detected.
        task_runner: 'threads' (default) or 'dask' for the candidate-k fits.
        dask_address: the Dask scheduler, with task_runner='dask'.
        mode: 'fit' a new model, or 'score' with an earlier fitted run's model.
        model_run_id: score mode: the run whose model to use; default: the newest fitted run of a
            period ending at or before this one.
        orders: an order history (CSV or Parquet, may contain '{period}') instead of a customer table:
            customers are segmented on their behaviour as of the period's end.
        attributes: with orders, a customer attributes file (gender, age, annual_income) joined by customer_id.
        date_format: with orders, the order dates' strptime format; default: detected.
        lookback_months: with orders, the window of orders the features use (default 12).
        anonymous_orders: with orders, 'refuse' (default) or 'skip' lines without a customer ID.
    """
    settings = make_settings(
        db_path=db,
        k=k,
        features=tuple(features) if features else None,
        columns=columns,
        delimiter=delimiter,
        task_runner=task_runner,
        dask_address=dask_address,
        orders=orders,
        attributes=attributes,
        date_format=date_format,
        lookback_months=lookback_months,
        anonymous_orders=anonymous_orders,
    )
    the_period = resolve_period(period, cadence)
    if settings.orders:
        the_source = resolve_source(path_from_parameter(settings.orders), the_period)
        the_attributes = (
            resolve_source(path_from_parameter(settings.attributes), the_period) if settings.attributes else None
        )
    else:
        the_source = resolve_source(path_from_parameter(source or str(SAMPLE_SOURCE)), the_period)
    with writer_lock(settings.db_path, wait_s=settings.writer_wait_s):
        if skip_if_succeeded and (done := find_succeeded_run(settings, the_period)):
            return RunSummary(
                run_id=done,
                period=the_period.label,
                status="skipped",
                mode=mode,
                db_path=str(settings.db_path.resolve()),
                bi_path=str(settings.bi_path.resolve()),
            )
        run_id = start_run(settings, the_period, the_source, flow_run.id)
        history: OrderHistory | None = None
        order_run = None
        try:
            if settings.orders:
                ingested = history = ingest_orders(settings, the_source, the_period)
                customers, facts = customer_features(settings, history, the_attributes)
                order_run = OrderRun(history, facts, settings.lookback_months, the_attributes)
            else:
                ingested = ingest(settings, run_id, the_source)
                customers = validate_customers(ingested)
            if mode == "score":
                segmentation = score_segments(settings, the_period, customers, model_run_id)
            else:
                segmentation = fit_segments(settings, the_period, run_id, customers, the_source)
            summary = publish(
                settings,
                run_id=run_id,
                period=the_period,
                ingested=ingested,
                customers=customers,
                segmentation=segmentation,
                orders=order_run,
            )
        except Exception as error:
            record_failure(settings, run_id, error, the_source)
            with suppress(AttributeError):
                error.recorded_in_run = True  # its message is in the run's logs now (SayFailureOnce)
            with suppress(ServingError, WarehouseError):  # the run's own error is the one to report
                served = serve(settings)
                publish_artifacts(settings, run_id, report(settings, run_id))
                served.wait_until_visible()
            if (told := restated(error, run_id)) is not error:
                raise told from None
            raise
        finally:
            if history is not None:
                history.close()
        served = serve(settings)
        page = report(settings, run_id)
        publish_artifacts(settings, run_id, page)  # in the flow's context: they belong to the flow run
        served.wait_until_visible()  # a run that returned is one every BI reader's next query shows
        return replace(summary, report_path=page, bi_rebuilt=served.reason if served.rebuilt else None)
