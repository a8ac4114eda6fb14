"""The `segment` command line: wiring and printing only.

Everything that can be checked without running anything (options, the period, the source file
and its header) is checked before Prefect is imported, so a mistake costs well under two
seconds. Prefect's own log lines go to its API (the UI) and reach stderr only with --verbose
(or when PREFECT_LOGGING_LEVEL is set); a failure ends with one `error:` message, last on stderr.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import threading
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from segmentation.csvfile import path_parameter
from segmentation.errors import PipelineError
from segmentation.periods import Period, just_ended, period_range, resolve_source
from segmentation.settings import SAMPLE_ORDERS, SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_SOURCE, make_settings
from segmentation.source import ATTRIBUTES, inspect_orders, inspect_source
from warehouse.connection import WarehouseError

app = typer.Typer(
    help="Customer segmentation: K-Means segments per period, kept in a DuckDB warehouse and served to BI tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)

EXPECTED_ERRORS = (PipelineError, WarehouseError, ValidationError, ValueError)

SourceOpt = Annotated[
    str | None,
    typer.Option(metavar="PATH", help="CSV or Parquet file; may contain {period}. Default: the bundled sample."),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="The warehouse file. Default: $SEGMENT_DB_PATH or ./segments.duckdb."),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        metavar="MAP",
        help="Name the source's columns: customer_id=Customer Id,annual_income=Income,... "
        "Default: $SEGMENT_COLUMNS; the documented headers are matched without it.",
    ),
]
DelimiterOpt = Annotated[
    str | None, typer.Option(metavar="DELIM", help="CSV delimiter: comma, semicolon or tab. Default: detected.")
]
OrdersOpt = Annotated[
    str | None,
    typer.Option(
        metavar="PATH",
        help="An order history (CSV or Parquet; may contain {period}) to segment on behaviour instead of a "
        "customer table: customer_id, order_date, amount (order_id, quantity, unit_price optional). "
        "Default: $SEGMENT_ORDERS.",
    ),
]
AttributesOpt = Annotated[
    str | None,
    typer.Option(metavar="PATH", help="With --orders: customer attributes (customer_id, gender, age, income)."),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(metavar="FORMAT", help="With --orders: order dates' form, e.g. '%d/%m/%Y'. Default: detected."),
]
LookbackOpt = Annotated[
    int | None,
    typer.Option(metavar="MONTHS", help="With --orders: months of orders up to the period's end (default 12)."),
]
AnonymousOpt = Annotated[
    str | None,
    typer.Option(
        metavar="refuse|skip",
        help="With --orders: lines without a customer ID fail the run (refuse, default) or are left out and counted.",
    ),
]
# Described in each command's text: typer would print an odd "<str>" beside a listed argument.
RunArg = Annotated[str | None, typer.Argument(metavar="RUN_ID|PERIOD", hidden=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Also print Prefect's log lines on stderr.")]


def _out() -> Console:
    """stdout: wrapped for a terminal; never wrapped for a file or a pipe (one fact per line)."""
    terminal = sys.stdout.isatty()
    return Console(file=sys.stdout, soft_wrap=not terminal, width=None if terminal else 10_000, highlight=False)


def _error_text(error: BaseException | str) -> str:
    if isinstance(error, ValidationError):
        return "invalid option: " + "; ".join(_setting_problem(e) for e in error.errors())
    return str(error)


# Settings that a command-line option also sets; every other setting only has its variable.
OPTION_OF = {
    "db_path": "--db",
    "k": "--k",
    "features": "--features",
    "columns": "--columns",
    "delimiter": "--delimiter",
    "task_runner": "--task-runner",
    "dask_address": "--dask-address",
}


def _setting_problem(problem: Any) -> str:
    name = ".".join(map(str, problem["loc"]))
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    shown = ",".join(map(str, given)) if isinstance(given, list | tuple) else given
    variable = f"SEGMENT_{name.upper()}"
    where = f"{OPTION_OF[name]} / {variable}" if name in OPTION_OF else variable
    return f"{where}: {message} (got {shown!r})" if name else message


# Under `main`, the error is printed after Prefect's exit handlers, which may still write to
# stderr (its last logs and events); it stays the last thing there.
_deferred_errors: list[str] | None = None
_api_lost = False  # Prefect's API stopped answering during the run (see _run_flow)


def _fail(error: BaseException | str, *, as_json: bool = False, **context: object) -> typer.Exit:
    """Say what went wrong once, as the last thing on stderr; exit 1."""
    # Text, whatever bytes a file name held (a lone surrogate cannot be written to a stream).
    message = _error_text(error).encode("utf-8", "backslashreplace").decode("utf-8")
    if as_json:
        _print_json({"status": "failed", **context, "error": message})
    if _deferred_errors is not None:
        _deferred_errors.append(message)
    else:
        _say_error(message)
    return typer.Exit(code=1)


def _say_error(message: str) -> None:
    """One block on stderr: `error:` and the message; its further lines (hints) indented beneath."""
    first, *more = message.splitlines() or [""]
    block = "\n".join([first, *(line if line.startswith(" ") else f"  {line}" for line in more)])
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print("[bold red]error:[/] ", end="", markup=True)
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print(block, markup=False)


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


class _NoTracebackForExpectedErrors(logging.Filter):
    """Prefect logs a failed run's traceback; for errors whose message says it all, drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


def _prepare_prefect(*, verbose: bool) -> None:
    """Before Prefect is imported: no telemetry, and its console log only when asked for."""
    # Telemetry cannot reach its host from a closed network and then locks Prefect's SQLite.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A run's truth is the warehouse: if Prefect's API stops answering, a call to it gives up
    # after two retries (six seconds), not five (about a minute).
    os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "2")
    # Prefect's log sender writes "--- Error logging to API ---" to stderr when it cannot reach
    # the API, even after our error; the standard library's switch for handler errors stops it.
    logging.raiseExceptions = False
    # A temporary server on a busy machine may take longer than Prefect's default 20 s to start.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    quiet = not verbose and "PREFECT_LOGGING_LEVEL" not in os.environ
    if quiet and "prefect" not in sys.modules:
        # Only the console copy goes: every line still reaches Prefect's API and UI.
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
        os.environ.setdefault("PREFECT_INTERNAL_LOGGING_LEVEL", "CRITICAL")  # its event sender's errors
        logging.captureWarnings(True)
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForExpectedErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForExpectedErrors())


def _features(text: str | None) -> tuple[str, ...] | None:
    return tuple(part.strip() for part in text.split(",")) if text else None


def _check_inputs(settings: Any, the_period: Period, source: str | None) -> str | None:
    """Check the input files' headers before Prefect starts; return the customer source (None with orders)."""
    if settings.orders:
        inspect_orders(
            resolve_source(settings.orders, the_period), columns=settings.columns, delimiter=settings.delimiter
        )
        if settings.attributes:
            inspect_source(
                resolve_source(settings.attributes, the_period),
                columns=settings.columns,
                delimiter=settings.delimiter,
                contract=ATTRIBUTES,
            )
        return None
    given = source or str(SAMPLE_SOURCE)
    inspect_source(resolve_source(given, the_period), columns=settings.columns, delimiter=settings.delimiter)
    return given


def _order_parameters(settings: Any) -> dict[str, Any]:
    """The order-history flow parameters of the settings (none for a customer table)."""
    if not settings.orders:
        return {}
    return {
        "orders": path_parameter(settings.orders),
        "attributes": path_parameter(settings.attributes) if settings.attributes else None,
        "date_format": settings.date_format,
        "lookback_months": settings.lookback_months,
        "anonymous_orders": settings.anonymous_orders,
    }


def _summary_document(summary: Any) -> dict[str, Any]:
    document = asdict(summary)
    document["segments"] = [
        {"segment_id": segment_id, "name": name, "customers": size} for segment_id, name, size in summary.segments
    ]
    return document


def _print_summary(summary: Any) -> None:
    out = _out()
    how = "scored" if summary.mode == "score" else "segmented"
    out.print(
        f"Run {summary.run_id} {how} {summary.period} into k={summary.k} segments "
        f"(silhouette {summary.silhouette:.3f})."
    )
    out.print(f"Why k={summary.k}: {summary.k_reason}")
    table = Table("segment", "name", "customers")
    for segment_id, name, size in summary.segments:
        table.add_row(str(segment_id), name, str(size))
    out.print(table)
    if summary.compared_with:
        out.print(
            f"Since {summary.compared_period} (run {summary.compared_with}): ARI {summary.ari_vs_reference:.3f}, "
            f"{summary.kept_share:.1%} of the customers in both kept their segment; "
            f"{len(summary.drift) or 'no'} drift flag(s)."
        )
    elif summary.reference_run_id:
        out.print(f"Segment IDs continue those of run {summary.reference_run_id}.")
    for reason in summary.drift:
        out.print(f"  drift: {reason}")
    out.print(f"BI tools read: {summary.bi_path}")
    if summary.bi_rebuilt:
        out.print(f"  (rebuilt: {summary.bi_rebuilt})")
    out.print(f"Warehouse (pipeline only): {summary.db_path}")
    out.print(f"Model: {summary.model_path}")
    out.print(f"Report: {summary.report_path or 'not written (see the run in the Prefect UI)'}")


def _run_flow(the_period: Period, *, candidates: int, as_json: bool, verbose: bool, **parameters: Any) -> None:
    """Run the flow for one period (checks passed), then print its summary or its one error."""
    _prepare_prefect(verbose=verbose)
    from flows.progress import run_progress
    from flows.segment import segment_customers

    try:
        with run_progress(title=the_period.label, candidates=candidates, enabled=not verbose):
            summary = segment_customers(period=the_period.label, **parameters)
    except EXPECTED_ERRORS as error:
        raise _fail(error, as_json=as_json, period=the_period.label) from None
    except Exception as error:
        if not _unreachable(error):  # a bug: one line here, its traceback in Prefect's log of the run
            raise _fail(f"the run stopped on an unexpected {type(error).__name__}: {error}", as_json=as_json) from None
        summary = _outcome_without_api(error, as_json=as_json, period=the_period.label)
    if as_json:
        _print_json(_summary_document(summary))
    else:
        _print_summary(summary)


def _unreachable(error: BaseException) -> bool:
    """Whether an error is, or was caused by, Prefect's API not answering (or answering 5xx)."""
    import httpx

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, httpx.TransportError | ConnectionError):
            return True
        if isinstance(seen, httpx.HTTPStatusError) and seen.response.status_code >= 500:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _outcome_without_api(error: BaseException, *, as_json: bool, period: str) -> Any:
    """The run's own outcome when Prefect's engine could not report it; one warning line."""
    global _api_lost
    from flows.segment import OUTCOME

    _api_lost = True
    if not OUTCOME:
        raise _fail(f"Prefect's API stopped answering before the run began; nothing ran ({error})", as_json=as_json)
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print(
        "[yellow]warning:[/] Prefect's API stopped answering during the run: the Prefect UI's record of it is "
        "incomplete; the warehouse has the run's real outcome, below.",
        markup=True,
    )
    if "summary" in OUTCOME:
        return OUTCOME["summary"]
    raise _fail(OUTCOME["error"], as_json=as_json, period=period) from None


def _rows_at_most(source: Any) -> int:
    """An upper bound of the source's data rows, without parsing it: Parquet's footer count, or
    the CSV's line breaks (LF and CR alike: a spreadsheet's CR-only file has lines too) minus the
    header (blank lines, CRLF and quoted breaks only make it larger)."""
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(source.path).metadata.num_rows
    breaks, last = 0, b"\n"
    with open(source.path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            breaks += chunk.count(b"\n") + chunk.count(b"\r")
            last = chunk[-1:]
    return breaks + (last not in (b"\n", b"\r")) - 1


def _check_k_fits(source: Any, candidates: list[int], *, pinned: bool) -> None:
    """Refuse at once a k that the source's customers cannot fill (the flow would after ingest).
    A file with no data rows is left to the flow, which says so in its own words."""
    rows = _rows_at_most(source)
    if rows <= 0 or min(candidates) < rows:
        return
    if pinned:
        raise PipelineError(
            f"--k {candidates[0]}: {source.path} has at most {rows:,} customer row(s); "
            f"k must be below the number of customers"
        )
    raise PipelineError(
        f"{source.path} has at most {rows:,} customer row(s): {rows} customer(s) cannot be split into "
        f"{min(candidates)} or more segments"
    )


def _check_model_run(settings: Any, model_run: str | None, period: Period) -> None:
    """Before Prefect starts: the warehouse has a fitted run to score the period with, at or before it
    (read on the BI surface)."""
    from warehouse import connect_bi, sql

    if not settings.bi_path.exists():
        if settings.db_path.exists():
            return  # a warehouse never served yet: the flow itself checks
        raise PipelineError(
            f"warehouse {settings.db_path} does not exist, so there is no fitted run to score with: "
            "run `segment run` first"
        )
    con = connect_bi(settings.bi_path)
    try:  # the flow's own queries (tasks.score.find_model_run), without importing Prefect
        found = con.execute(sql("queries/find_model_run"), [model_run]).fetchone() if model_run else None
        if model_run and found is None:
            raise PipelineError(
                f"run {model_run} is not a succeeded fitted run of this warehouse; it has no model to score with "
                "(`segment runs` lists them)"
            )
        if found is not None and found[4] > period.end:
            raise PipelineError(
                f"run {model_run} fitted {found[1]}, which ends after {period} ({found[4]} > {period.end}): scoring "
                f"{period} with it would use a model from the period's future; name an earlier fitted run"
            )
        if not model_run and con.execute(sql("queries/find_current_model_run"), [period.end]).fetchone() is None:
            raise PipelineError(
                f"this warehouse has no succeeded fitted run of a period ending by {period.end} to score {period} "
                f"with: run `segment run --period {period}` (or an earlier period) first"
            )
    finally:
        con.close()


@app.command()
def run(
    source: SourceOpt = None,
    period: Annotated[
        str | None, typer.Option(metavar="PERIOD", help="2026Q1 or 2026-03. Default: the quarter that just ended.")
    ] = None,
    db: DbOpt = None,
    k: Annotated[int | None, typer.Option(metavar="N", help="Pin the number of segments.")] = None,
    features: Annotated[
        str | None,
        typer.Option(
            metavar="LIST",
            help="Columns to cluster on. Orders: recency_days,frequency,monetary (default), avg_order_value, "
            "tenure_days, and attributes. A customer table: annual_income,spending_score (default), age, gender.",
        ),
    ] = None,
    columns: ColumnsOpt = None,
    delimiter: DelimiterOpt = None,
    task_runner: Annotated[
        str | None, typer.Option(metavar="RUNNER", help="threads (default) or dask: where candidate k are fitted.")
    ] = None,
    dask_address: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="With --task-runner dask: the scheduler, tcp://HOST:PORT.")
    ] = None,
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
            features=_features(features),
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
        given = _check_inputs(settings, the_period, source)
        if given is not None:  # a customer table: one row per customer, so k must fit its rows
            inspected = inspect_source(
                resolve_source(given, the_period), columns=settings.columns, delimiter=settings.delimiter
            )
            _check_k_fits(inspected, settings.candidate_ks, pinned=settings.k is not None)
    except EXPECTED_ERRORS as error:
        raise _fail(error, as_json=as_json, period=label) from None
    _run_flow(
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
        **_order_parameters(settings),
    )


@app.command()
def score(
    source: SourceOpt = None,
    period: Annotated[
        str | None, typer.Option(metavar="PERIOD", help="2026-05 or 2026Q2. Default: the month that just ended.")
    ] = None,
    db: DbOpt = None,
    model_run: Annotated[
        str | None,
        typer.Option(metavar="RUN_ID", help="The fitted run whose model to use. Default: the current fitted run."),
    ] = None,
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
        given = _check_inputs(settings, the_period, source)
        _check_model_run(settings, model_run, the_period)
    except EXPECTED_ERRORS as error:
        raise _fail(error, as_json=as_json, period=label) from None
    _run_flow(
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
        **_order_parameters(settings),
    )


@app.command()
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
            _check_inputs(settings, periods[0], source)  # one growing export: its header, before Prefect starts
    except EXPECTED_ERRORS as error:
        raise _fail(error, as_json=as_json) from None
    _prepare_prefect(verbose=verbose)
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
                orders=_order_parameters(settings),
            )
        else:
            outcomes = backfill_in_process(
                periods,
                source=source,
                db=str(settings.db_path),
                force=force,
                columns=settings.columns or None,
                delimiter=settings.delimiter,
                orders=_order_parameters(settings),
            )
    except EXPECTED_ERRORS as error:
        raise _fail(error, as_json=as_json) from None
    failed = [o for o in outcomes if o.outcome in ("failed", "Failed", "Crashed")]
    if as_json:
        _print_json({"outcomes": [asdict(o) for o in outcomes], "failed": len(failed)})
    else:
        table = Table("period", "outcome", "k", "run_id" if not deployment else "flow_run_id")
        for outcome in outcomes:
            colour = {"succeeded": "green", "skipped": "yellow", "failed": "red"}.get(outcome.outcome, "cyan")
            table.add_row(outcome.period, f"[{colour}]{outcome.outcome}[/]", str(outcome.k or ""), outcome.run_id or "")
        _out().print(table)
    if failed:
        errors = Console(file=sys.stderr, soft_wrap=True, highlight=False)
        for outcome in failed:
            run = f" (run {outcome.run_id})" if outcome.run_id else ""
            errors.print(f"[bold red]{outcome.period} failed{run}:[/] {outcome.message}", markup=True)
        raise _fail(f"{len(failed)} of {len(outcomes)} period(s) failed: {', '.join(o.period for o in failed)}")


def _customers(run: dict[str, Any]) -> int:
    """Customers a run segmented: its own count, or for runs before migration 008, the rows read."""
    customers = run.get("n_customers")
    return int(customers if customers is not None and customers == customers else run["n_rows"] or 0)


def _bi(db: Path | None) -> tuple[Any, Any]:
    """Settings and a hardened read-only connection to the BI surface (never the warehouse)."""
    from warehouse import connect_bi

    settings = make_settings(db_path=db)
    return settings, connect_bi(settings.bi_path)


@app.command()
def runs(
    db: DbOpt = None,
    period: Annotated[str | None, typer.Option(metavar="PERIOD", help="Only this period's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="At most this many runs, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List runs, newest first: period, status, k, silhouette, customers, when; * marks the current run.

    Example: segment runs --period 2026Q1 --limit 5
    """
    from tasks.report import records
    from warehouse import sql

    try:
        _, con = _bi(db)
        try:
            rows = records(con.execute(sql("queries/list_runs"), [period, limit]).df())
        finally:
            con.close()
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    if as_json:
        _print_json({"runs": rows})
        return
    listing = Table("", "period", "status", "mode", "k", "silhouette", "customers", "finished (UTC)", "run_id")
    for row in rows:
        listing.add_row(
            "*" if row["is_current"] else "",
            row["period"],
            row["status"],
            row["mode"] or "fit",
            "" if row["k"] is None else str(row["k"]),
            "" if row["silhouette"] is None else f"{row['silhouette']:.3f}",
            "" if row["n_customers"] is None else f"{row['n_customers']:,}",
            "" if row["finished_at"] is None else f"{row['finished_at']:%Y-%m-%d %H:%M}",
            row["run_id"],
        )
    _out().print(listing)


@app.command()
def show(
    run_or_period: RunArg = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: its segments with rules, why k, and what changed since the period before.

    RUN_ID|PERIOD: a run id (or its first characters) or a period; default: the current run.

    Example: segment show 2026Q1
    """
    import pandas as pd

    from tasks.report import find_run, load_report_data, records

    try:
        _, con = _bi(db)
        try:
            data = load_report_data(con, find_run(con, run_or_period))
        finally:
            con.close()
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    run = records(pd.DataFrame([data.run]))[0]
    if as_json:
        _print_json(
            {
                "run": run,
                "segments": records(data.profiles),
                "k_table": records(data.k_table),
                "lineage": records(data.lineage),
                "drift": list(data.flags["reason"]),
                "validation_failures": records(data.failures),
            }
        )
        return
    out = _out()
    if run["status"] == "succeeded":
        rows = f"{_customers(run):,} customers"
        if run.get("source_kind") == "orders":
            rows += f" from {run['n_rows']:,} order lines"
    else:  # the rows read before it failed (kept while SEGMENT_RAW_RETENTION keeps failed runs' rows)
        rows = "rows read unknown" if run["n_rows"] is None else f"{run['n_rows']:,} rows read"
    out.print(f"Run {run['run_id']}: {run['period']}, {run['status']}, mode {run['mode'] or 'fit'}, {rows}.")
    if run["status"] != "succeeded":
        out.print(f"Error: {run['error']}")
        return
    out.print(f"Why k={run['k']}: {run['k_reason']}")
    segments = Table("segment", "name", "customers", "share", "rule", "precision", "recall")
    for p in records(data.profiles):
        segments.add_row(
            str(p["segment_id"]),
            p["segment_name"],
            f"{p['n_customers']:,}",
            f"{p['share']:.1%}",
            p["rule"] or "",
            "" if p["rule_precision"] is None else f"{p['rule_precision']:.2f}",
            "" if p["rule_recall"] is None else f"{p['rule_recall']:.2f}",
        )
    out.print(segments)
    if not data.k_table.empty:
        candidates = Table("k", "inertia", "silhouette", "stability", "chosen")
        for r in records(data.k_table):
            candidates.add_row(
                str(r["k"]),
                f"{r['inertia']:.1f}",
                "" if r["silhouette"] is None else f"{r['silhouette']:.3f}",
                "" if r["stability"] is None else f"{r['stability']:.2f}",
                "yes" if r["chosen"] else "",
            )
        out.print(candidates)
    if run["ari_vs_reference"] is not None:
        out.print(
            f"Since {run['reference_period']}: ARI {run['ari_vs_reference']:.3f}, {run['kept_share']:.1%} kept "
            f"their segment; {len(data.flags)} drift flag(s)."
        )
    for reason in data.flags["reason"]:
        out.print(f"  drift: {reason}")


@app.command()
def report(
    run_or_period: RunArg = None,
    db: DbOpt = None,
    open_it: Annotated[bool, typer.Option("--open", help="Open the report in a web browser.")] = False,
) -> None:
    """Print the path of a run's HTML report, writing it from the BI surface when it is missing.

    RUN_ID|PERIOD: a run id (or its first characters) or a period; default: the current run.

    Example: segment report 2026Q1 --open
    """
    from tasks.report import find_run, write_report

    try:
        settings, con = _bi(db)
        try:
            run_id = find_run(con, run_or_period)
        finally:
            con.close()
        page = settings.artifacts_root / run_id / "report.html"
        if not page.exists():
            page, _ = write_report(settings.bi_path, run_id, settings.artifacts_root)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    _out().print(str(page.resolve()))
    if open_it:
        import webbrowser

        webbrowser.open(page.resolve().as_uri())


@app.command()
def export(
    out_dir: Annotated[Path, typer.Option("--out", metavar="FOLDER", help="Folder for the Parquet files.")],
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="Only parquet is supported.")] = "parquet",
    db: DbOpt = None,
) -> None:
    """Write the current BI views as Parquet, for tools without a DuckDB driver.

    Example: segment export --format parquet --out exports/
    """
    from warehouse.export import export_parquet

    if fmt != "parquet":
        raise _fail(f"--format {fmt!r} is not supported; use parquet")
    try:
        settings = make_settings(db_path=db)
        written = export_parquet(settings.bi_path, out_dir)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    out = _out()
    for path, rows in written:
        out.print(f"{path}  ({rows} rows)")


@app.command()
def serve(
    db: DbOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rewrite every file and the BI file from the warehouse.")
    ] = False,
) -> None:
    """Bring the BI surface up to date with the warehouse (every run does this itself).

    Example: segment serve --rebuild --db /data/segments.duckdb
    """
    from warehouse import writer_lock
    from warehouse.serving import sync

    try:
        settings = make_settings(db_path=db)
        if not settings.db_path.exists():
            raise WarehouseError(f"warehouse {settings.db_path} does not exist: run `segment run` first")
        with writer_lock(settings.db_path, wait_s=settings.writer_wait_s):
            result = sync(
                settings.db_path,
                settings.bi_path,
                rebuild=rebuild,
                lock_timeout_s=settings.lock_timeout_s,
                storage_version=settings.storage_version,
                mount_path=settings.bi_mount_path,
            )
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    out = _out()
    done = f"rebuilt ({result.reason})" if result.rebuilt else "up to date"
    out.print(f"BI surface {done}; {result.runs_added} run(s) published.")
    out.print(f"BI tools read: {result.bi_path}")


@app.command()
def sample(
    out_path: Annotated[
        Path | None, typer.Option("--out", metavar="PATH", help="CSV to write. Default: the bundled sample's path.")
    ] = None,
    rows: Annotated[int | None, typer.Option(min=1, metavar="N", help="Customers to draw.")] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed.")] = SAMPLE_SEED,
    orders: Annotated[
        bool, typer.Option("--orders", help="Write an order history (one row per order line) instead.")
    ] = False,
) -> None:
    """Write a seeded synthetic customer file in the Mall Customers format, or an order history.

    The order history (--orders) spans two and a half years with behavioural groups that drift:
    loyal big spenders, regulars, occasional bargain hunters, newcomers arriving late, and
    customers who lapse; a few orders are partly returned.
    Example: segment sample --orders --out orders.csv --rows 5000 --seed 1
    """
    from segmentation.sample import (
        ORDER_SAMPLE_CUSTOMERS,
        generate_customers,
        generate_orders,
        write_customers,
        write_orders,
    )

    if orders:
        n = rows or ORDER_SAMPLE_CUSTOMERS
        table = generate_orders(n, seed=seed)
        path = write_orders(table, out_path or SAMPLE_ORDERS)
        _out().print(f"wrote {table.num_rows} order lines of {n} customers to {path}")
        return
    n = rows or SAMPLE_ROWS
    write_customers(generate_customers(n, seed=seed), out_path or SAMPLE_SOURCE)
    _out().print(f"wrote {n} customers to {out_path or SAMPLE_SOURCE}")


def main() -> None:
    """Run the command, then end the process without the interpreter's teardown.

    With pandas, scikit-learn, DuckDB and Prefect loaded, tearing the interpreter down takes most
    of a second after the work is done. Everything is written by then; the exit handlers still
    run (Prefect sends its last logs and events, a temporary server stops), streams are flushed.
    """
    global _deferred_errors
    from typer._click import exceptions as click  # the Click that Typer bundles and raises

    code: int | str | None = 0
    _deferred_errors = []
    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as usage:
        usage.show()
        code = usage.exit_code
    except click.UsageError as usage:
        # One `error:` line like every other mistake, not Click's usage box.
        command = usage.ctx.command_path if usage.ctx else "segment"
        _deferred_errors.append(f"{usage.format_message()} (see `{command} --help`)")
        code = usage.exit_code
    except click.Abort:
        code = 130
    except SystemExit as done:
        code = done.code
    _run_exit_handlers()
    for message in _deferred_errors:
        _say_error(message)
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _run_exit_handlers() -> None:
    """Prefect's exit handlers, and ours. When its API stopped answering during the run, its
    last logs and events can only fail: they get three seconds, and their complaints are not
    printed (the warning said it once)."""
    if not _api_lost:
        atexit._run_exitfuncs()
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        handlers = threading.Thread(target=atexit._run_exitfuncs, daemon=True)
        handlers.start()
        handlers.join(timeout=3)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(devnull)


if __name__ == "__main__":
    main()
