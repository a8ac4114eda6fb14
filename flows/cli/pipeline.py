"""The commands that run the flow: `run` (fit), `score` (an earlier model), `backfill` (periods in order).

Their shared options come from the flow's parameters (flows/cli/options.py); each command turns
the options given into Settings once (`settings_of`), checks what can be checked before Prefect
starts, and passes the flow the parameters those settings describe (`parameters_of`).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

from flows.cli.checks import check_inputs, check_model_run, done_already, hand_over_password
from flows.cli.errors import EXPECTED_ERRORS, fail
from flows.cli.options import JsonOpt, VerboseOpt, with_shared_options
from flows.cli.output import backfill_table, out, print_json, print_summary, summary_document
from flows.cli.prefect_setup import outcome_without_api, prepare_prefect, unreachable
from flows.parameters import parameters_of, settings_of
from segmentation.periods import Period, just_ended, period_range

PeriodOpt = Annotated[
    str | None, typer.Option(metavar="PERIOD", help="2026Q1 or 2026-03. Default: the quarter that just ended.")
]
MonthOpt = Annotated[
    str | None,
    typer.Option("--period", metavar="PERIOD", help="2026-05 or 2026Q2. Default: the month that just ended."),
]


def run_flow(the_period: Period, *, candidates: int, as_json: bool, verbose: bool, parameters: dict[str, Any]) -> None:
    """Run the flow for one period (checks passed), then print its summary or its one error."""
    prepare_prefect(verbose=verbose)
    from flows.progress import run_progress
    from flows.segment import segment_customers

    try:
        with run_progress(title=the_period.label, candidates=candidates, enabled=not verbose):
            summary = segment_customers(**parameters)
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


@with_shared_options("run")
def run(period: PeriodOpt = None, as_json: JsonOpt = False, verbose: VerboseOpt = False, **options: Any) -> None:
    """Segment one period's customers and publish the result.

    Example: segment run --orders exports/orders.csv --period 2026Q1 --db /data/segments.duckdb
    (or a customer table: segment run --source customers.csv --period 2026Q1)
    """
    label = period or just_ended(date.today(), "quarterly").label
    try:
        settings = hand_over_password(settings_of(options))
        the_period = Period.parse(label)
        check_inputs(settings, the_period, k_must_fit=True)
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json, period=label) from None
    parameters = parameters_of(settings, period=the_period.label)
    run_flow(the_period, candidates=len(settings.candidate_ks), as_json=as_json, verbose=verbose, parameters=parameters)


@with_shared_options("score")
def score(period: MonthOpt = None, as_json: JsonOpt = False, verbose: VerboseOpt = False, **options: Any) -> None:
    """Assign a period's customers to the segments of an existing model, without refitting.

    The model is the newest fitted run's of a period ending at or before this one (never a later one).
    Example: segment score --period 2026-05 --orders exports/orders.csv
    """
    label = period or just_ended(date.today(), "monthly").label
    model_run = options.get("model_run_id")
    try:
        settings = hand_over_password(settings_of(options))
        the_period = Period.parse(label)
        check_inputs(settings, the_period, k_must_fit=False)
        check_model_run(settings, model_run, the_period)
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json, period=label) from None
    parameters = parameters_of(settings, period=the_period.label, mode="score", model_run_id=model_run)
    run_flow(the_period, candidates=0, as_json=as_json, verbose=verbose, parameters=parameters)


@with_shared_options("backfill")
def backfill(
    first: Annotated[str, typer.Option("--from", metavar="PERIOD", help="First period, e.g. 2025Q1 or 2025-01.")],
    last: Annotated[str, typer.Option("--to", metavar="PERIOD", help="Last period, same kind as --from.")],
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
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
    **options: Any,
) -> None:
    """Run every period from --from to --to, in order; skip periods that already succeeded.

    An order history is read and checked once for the whole backfill. With --deployment the runs
    are submitted in order; they start together on the worker and publish one at a time (the
    writer lock), so in period order only with --wait.

    Example: segment backfill --from 2025Q1 --to 2025Q4 --source 'exports/customers_{period}.csv'
    """
    try:
        periods = period_range(first, last)
        settings = hand_over_password(settings_of(options), deployment=bool(deployment))
        if not deployment:
            check_inputs(settings, periods[0], k_must_fit=False)  # the first period's file, before Prefect starts
            done = None if force else done_already(settings, periods)
    except EXPECTED_ERRORS as error:
        raise fail(error, as_json=as_json) from None
    if not deployment and done is not None:  # every period succeeded already: the warehouse answers
        report_backfill(done, deployment=False, as_json=as_json)
        return
    prepare_prefect(verbose=verbose)
    from flows.backfill import backfill_in_process, backfill_via_deployment

    try:
        if deployment:
            given = parameters_of(settings, only=[name for name, value in options.items() if value is not None])
            outcomes = backfill_via_deployment(
                periods, deployment=deployment, parameters=given, force=force, batch=batch, wait_s=wait
            )
        else:
            outcomes = backfill_in_process(periods, parameters=parameters_of(settings), force=force)
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
    report_backfill(outcomes, deployment=bool(deployment), as_json=as_json)


def report_backfill(outcomes: list[Any], *, deployment: bool, as_json: bool) -> None:
    """The backfill's table (or JSON), then one line per failed period and the `error:` line; exit 1 if any failed."""
    failed = [o for o in outcomes if o.outcome in ("failed", "Failed", "Crashed")]
    if as_json:
        print_json({"outcomes": [asdict(o) for o in outcomes], "failed": len(failed)})
    else:
        out().print(backfill_table(outcomes, deployment=deployment))
    if failed:
        errors = Console(file=sys.stderr, soft_wrap=True, highlight=False)
        for outcome in failed:
            run = f" (run {outcome.run_id})" if outcome.run_id else ""
            errors.print(f"[bold red]{outcome.period} failed{run}:[/] {outcome.message}", markup=True)
        raise fail(f"{len(failed)} of {len(outcomes)} period(s) failed: {', '.join(o.period for o in failed)}")
