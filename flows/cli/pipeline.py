"""The commands that run the flow: `run` (fit), `score` (an earlier model), `backfill` (periods in order)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

from flows.cli.checks import check_inputs, check_k_fits, check_model_run, order_parameters
from flows.cli.errors import EXPECTED_ERRORS, fail
from flows.cli.options import (
    AnonymousOpt,
    AttributesOpt,
    ColumnsOpt,
    DaskAddressOpt,
    DateFormatOpt,
    DbOpt,
    DelimiterOpt,
    FeaturesOpt,
    JsonOpt,
    KOpt,
    LookbackOpt,
    ModelRunOpt,
    OrdersOpt,
    SourceOpt,
    TaskRunnerOpt,
    VerboseOpt,
    parse_features,
)
from flows.cli.output import backfill_table, out, print_json, print_summary, summary_document
from flows.cli.prefect_setup import outcome_without_api, prepare_prefect, unreachable
from flows.parameters import bind
from segmentation.csvfile import path_parameter
from segmentation.periods import Period, just_ended, period_range, resolve_source
from segmentation.settings import make_settings
from segmentation.source import inspect_source


def run_flow(the_period: Period, *, candidates: int, as_json: bool, verbose: bool, **parameters: Any) -> None:
    """Run the flow for one period (checks passed), then print its summary or its one error."""
    prepare_prefect(verbose=verbose)
    from flows.progress import run_progress
    from flows.segment import segment_customers

    try:
        with run_progress(title=the_period.label, candidates=candidates, enabled=not verbose):
            summary = segment_customers(**bind(period=the_period.label, **parameters))
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json, period=the_period.label) from None
    except Exception as error:
        if not unreachable(error):  # a bug: one line here, its traceback in Prefect's log of the run
            raise fail(f"the run stopped on an unexpected {type(error).__name__}: {error}", as_json=as_json) from None
        summary = outcome_without_api(error, as_json=as_json, period=the_period.label)
    if as_json:
        print_json(summary_document(summary))
    else:
        print_summary(summary)


def run(
    source: SourceOpt = None,
    period: Annotated[
        str | None, typer.Option(metavar="PERIOD", help="2026Q1 or 2026-03. Default: the quarter that just ended.")
    ] = None,
    db: DbOpt = None,
    k: KOpt = None,
    features: FeaturesOpt = None,
    columns: ColumnsOpt = None,
    delimiter: DelimiterOpt = None,
    task_runner: TaskRunnerOpt = None,
    dask_address: DaskAddressOpt = None,
    orders: OrdersOpt = None,
    attributes: AttributesOpt = None,
    date_format: DateFormatOpt = None,
    lookback_months: LookbackOpt = None,
    anonymous_orders: AnonymousOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Segment one period's customers and publish the result.

    Example: segment run --orders exports/orders.csv --period 2026Q1 --db /data/segments.duckdb
    (or a customer table: segment run --source customers.csv --period 2026Q1)
    """
    label = period or just_ended(date.today(), "quarterly").label
    try:
        settings = make_settings(
            db_path=db,
            k=k,
            features=parse_features(features),
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
        the_period = Period.parse(label)
        given = check_inputs(settings, the_period, source)
        if given is not None:  # a customer table: one row per customer, so k must fit its rows
            inspected = inspect_source(
                resolve_source(given, the_period), columns=settings.columns, delimiter=settings.delimiter
            )
            check_k_fits(inspected, settings.candidate_ks, pinned=settings.k is not None)
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json, period=label) from None
    run_flow(
        the_period,
        candidates=len(settings.candidate_ks),
        as_json=as_json,
        verbose=verbose,
        source=path_parameter(given) if given else None,
        db=str(settings.db_path),
        k=settings.k,
        features=list(settings.features),
        columns=settings.columns or None,
        delimiter=settings.delimiter,
        task_runner=settings.task_runner,
        dask_address=settings.dask_address,
        **order_parameters(settings),
    )


def score(
    source: SourceOpt = None,
    period: Annotated[
        str | None, typer.Option(metavar="PERIOD", help="2026-05 or 2026Q2. Default: the month that just ended.")
    ] = None,
    db: DbOpt = None,
    model_run: ModelRunOpt = None,
    columns: ColumnsOpt = None,
    delimiter: DelimiterOpt = None,
    orders: OrdersOpt = None,
    attributes: AttributesOpt = None,
    date_format: DateFormatOpt = None,
    lookback_months: LookbackOpt = None,
    anonymous_orders: AnonymousOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Assign a period's customers to the segments of an existing model, without refitting.

    The model is the newest fitted run's of a period ending at or before this one (never a later one).
    Example: segment score --period 2026-05 --orders exports/orders.csv
    """
    label = period or just_ended(date.today(), "monthly").label
    try:
        settings = make_settings(
            db_path=db,
            columns=columns,
            delimiter=delimiter,
            orders=orders,
            attributes=attributes,
            date_format=date_format,
            lookback_months=lookback_months,
            anonymous_orders=anonymous_orders,
        )
        the_period = Period.parse(label)
        given = check_inputs(settings, the_period, source)
        check_model_run(settings, model_run, the_period)
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json, period=label) from None
    run_flow(
        the_period,
        candidates=0,
        as_json=as_json,
        verbose=verbose,
        source=path_parameter(given) if given else None,
        db=str(settings.db_path),
        columns=settings.columns or None,
        delimiter=settings.delimiter,
        mode="score",
        model_run_id=model_run,
        **order_parameters(settings),
    )


def backfill(
    first: Annotated[str, typer.Option("--from", metavar="PERIOD", help="First period, e.g. 2025Q1 or 2025-01.")],
    last: Annotated[str, typer.Option("--to", metavar="PERIOD", help="Last period, same kind as --from.")],
    source: SourceOpt = None,
    db: DbOpt = None,
    columns: ColumnsOpt = None,
    delimiter: DelimiterOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run periods that already succeeded again (adds runs).")
    ] = False,
    deployment: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Submit runs of this deployment (e.g. quarterly) instead of running here."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="With --deployment: how long to wait for each run (0: submit only)."),
    ] = 0,
    batch: Annotated[
        str | None, typer.Option(metavar="NAME", help="With --deployment: idempotency batch (default: today's date).")
    ] = None,
    orders: OrdersOpt = None,
    attributes: AttributesOpt = None,
    date_format: DateFormatOpt = None,
    lookback_months: LookbackOpt = None,
    anonymous_orders: AnonymousOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Run every period from --from to --to, in order; skip periods that already succeeded.

    With --deployment the runs are submitted in order; they start together on the worker and
    publish one at a time (the writer lock), so in period order only with --wait.

    Example: segment backfill --from 2025Q1 --to 2025Q4 --source 'exports/customers_{period}.csv'
    """
    try:
        periods = period_range(first, last)
        settings = make_settings(
            db_path=db,
            columns=columns,
            delimiter=delimiter,
            orders=orders,
            attributes=attributes,
            date_format=date_format,
            lookback_months=lookback_months,
            anonymous_orders=anonymous_orders,
        )
        if settings.orders and not deployment:
            check_inputs(settings, periods[0], source)  # one growing export: its header, before Prefect starts
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json) from None
    prepare_prefect(verbose=verbose)
    from flows.backfill import backfill_in_process, backfill_via_deployment

    try:
        if deployment:
            outcomes = backfill_via_deployment(
                periods,
                deployment=deployment,
                source=source,
                db=str(db) if db else None,
                force=force,
                batch=batch,
                wait_s=wait,
                orders=order_parameters(settings),
            )
        else:
            outcomes = backfill_in_process(
                periods,
                source=source,
                db=str(settings.db_path),
                force=force,
                columns=settings.columns or None,
                delimiter=settings.delimiter,
                orders=order_parameters(settings),
            )
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json) from None
    except Exception as error:
        if not unreachable(error):  # a bug: one line here, its traceback in Prefect's log of the run
            raise fail(
                f"the backfill stopped on an unexpected {type(error).__name__}: {error}", as_json=as_json
            ) from None
        raise fail(
            f"Prefect's API did not answer, so the backfill stopped; the periods it finished are in the warehouse "
            f"(`segment runs`), and running the same backfill again skips them ({error})",
            as_json=as_json,
        ) from None
    failed = [o for o in outcomes if o.outcome in ("failed", "Failed", "Crashed")]
    if as_json:
        print_json({"outcomes": [asdict(o) for o in outcomes], "failed": len(failed)})
    else:
        out().print(backfill_table(outcomes, deployment=bool(deployment)))
    if failed:
        errors = Console(file=sys.stderr, soft_wrap=True, highlight=False)
        for outcome in failed:
            run = f" (run {outcome.run_id})" if outcome.run_id else ""
            errors.print(f"[bold red]{outcome.period} failed{run}:[/] {outcome.message}", markup=True)
        raise fail(f"{len(failed)} of {len(outcomes)} period(s) failed: {', '.join(o.period for o in failed)}")
