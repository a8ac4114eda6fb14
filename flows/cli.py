"""The `segment` command line: run one period, backfill a range, export for BI, make samples."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from tasks.errors import PipelineError
from tasks.periods import Period, just_ended, period_range
from tasks.sample import SAMPLE_ROWS, SAMPLE_SEED
from tasks.settings import SAMPLE_SOURCE
from warehouse import WarehouseError

app = typer.Typer(
    help="Customer segmentation: K-Means segments per period, kept in a DuckDB warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXPECTED_ERRORS = (PipelineError, WarehouseError, ValidationError)

SourceOpt = Annotated[
    str | None,
    typer.Option(help="CSV file; may contain {period}. Default: the bundled sample."),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(help="DuckDB warehouse file. Default: $SEGMENT_DB_PATH or ./segments.duckdb."),
]


def _fail(message: str | BaseException) -> typer.Exit:
    if isinstance(message, ValidationError):
        message = "invalid settings: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']} (got {e.get('input')!r})"
            for e in message.errors()
        )
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


class _NoTracebackForExpectedErrors(logging.Filter):
    """Prefect logs a failed run's traceback; for errors whose message says it all, drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


def _prepare_prefect() -> None:
    # Telemetry cannot reach its host from a closed network and then locks Prefect's SQLite.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForExpectedErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForExpectedErrors())


@app.command()
def run(
    source: SourceOpt = None,
    period: Annotated[str | None, typer.Option(help="2026Q1 or 2026-03. Default: the quarter that just ended.")] = None,
    db: DbOpt = None,
    k: Annotated[int | None, typer.Option(help="Pin the number of segments.")] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Comma list of columns: annual_income, spending_score, age."),
    ] = None,
) -> None:
    """Segment one period's customers and publish the result."""
    _prepare_prefect()
    from flows.segment import make_settings, segment_customers

    period = period or just_ended(date.today(), "quarterly").label
    feature_list = features.split(",") if features else None
    try:
        # Refuse bad options before Prefect starts a server for the run.
        Period.parse(period)
        make_settings(db_path=db, k=k, features=tuple(feature_list) if feature_list else None)
        summary = segment_customers(
            period=period,
            source=source or str(SAMPLE_SOURCE),
            db=str(db) if db else None,
            k=k,
            features=feature_list,
        )
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    out.print(
        f"[bold green]Run {summary.run_id}[/] segmented [bold]{summary.period}[/] into "
        f"[bold]k={summary.k}[/] segments (silhouette {summary.silhouette:.3f}).",
        highlight=False,
    )
    out.print(f"Why k={summary.k}: {summary.k_reason}", highlight=False)
    table = Table("segment", "name", "customers")
    for segment_id, name, size in summary.segments:
        table.add_row(str(segment_id), name, str(size))
    out.print(table)
    out.print(f"BI tools read: {summary.bi_path}", highlight=False, soft_wrap=True)
    out.print(f"Warehouse (pipeline only): {summary.db_path}", highlight=False, soft_wrap=True)
    out.print(f"Model: {summary.model_path}", highlight=False, soft_wrap=True)


@app.command()
def backfill(
    first: Annotated[str, typer.Option("--from", help="First period, e.g. 2025Q1 or 2025-01.")],
    last: Annotated[str, typer.Option("--to", help="Last period, same kind as --from.")],
    source: SourceOpt = None,
    db: DbOpt = None,
    force: Annotated[bool, typer.Option(help="Run periods that already succeeded again (adds runs).")] = False,
    deployment: Annotated[
        str | None,
        typer.Option(help="Submit runs of this deployment (e.g. quarterly) instead of running here."),
    ] = None,
    wait: Annotated[float, typer.Option(help="With --deployment: seconds to wait for each run (0: submit only).")] = 0,
    batch: Annotated[
        str | None, typer.Option(help="With --deployment: idempotency batch (default: today's date).")
    ] = None,
) -> None:
    """Run every period from --from to --to, in order; skip periods that already succeeded."""
    _prepare_prefect()
    from flows.backfill import backfill_in_process, backfill_via_deployment

    try:
        periods = period_range(first, last)
    except ValueError as error:
        raise _fail(error) from None
    db_text = str(db) if db else None
    try:
        if deployment:
            outcomes = backfill_via_deployment(
                periods,
                deployment=deployment,
                source=source,
                db=db_text,
                force=force,
                batch=batch,
                wait_s=wait,
            )
        else:
            outcomes = backfill_in_process(periods, source=source, db=db_text, force=force)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    table = Table("period", "outcome", "k", "run_id" if not deployment else "flow_run_id")
    for outcome in outcomes:
        colour = {"succeeded": "green", "skipped": "yellow", "failed": "red"}.get(outcome.outcome, "cyan")
        table.add_row(outcome.period, f"[{colour}]{outcome.outcome}[/]", str(outcome.k or ""), outcome.run_id or "")
    out.print(table)
    failed = [o for o in outcomes if o.outcome in ("failed", "Failed", "Crashed")]
    for outcome in failed:
        err.print(f"[bold red]{outcome.period} failed:[/] {outcome.message}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)


@app.command()
def export(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the Parquet files.")],
    fmt: Annotated[str, typer.Option("--format", help="Only parquet is supported.")] = "parquet",
    db: DbOpt = None,
) -> None:
    """Write the current BI views as Parquet, for tools without a DuckDB driver."""
    from tasks.settings import Settings
    from warehouse.export import export_parquet

    if fmt != "parquet":
        raise _fail(f"--format {fmt!r} is not supported; use parquet")
    try:
        settings = Settings(**({"db_path": db} if db else {}))
        written = export_parquet(settings.bi_path, out_dir)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    for path, rows in written:
        out.print(f"{path}  ({rows} rows)", highlight=False)


@app.command()
def serve(
    db: DbOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rewrite every file and the BI file from the warehouse.")
    ] = False,
) -> None:
    """Bring the BI surface up to date with the warehouse (runs do this themselves)."""
    from tasks.settings import Settings
    from warehouse import writer_lock
    from warehouse.serving import sync

    try:
        settings = Settings(**({"db_path": db} if db else {}))
        if not settings.db_path.exists():
            raise _fail(f"warehouse {settings.db_path} does not exist: run `segment run` first")
        with writer_lock(settings.db_path, wait_s=settings.writer_wait_s):
            result = sync(
                settings.db_path,
                settings.bi_path,
                rebuild=rebuild,
                lock_timeout_s=settings.lock_timeout_s,
                storage_version=settings.storage_version,
            )
    except EXPECTED_ERRORS as error:
        raise _fail(error) from None
    what = "rebuilt" if result.rebuilt else "up to date"
    out.print(f"BI surface {what}; {result.runs_added} run(s) published.", highlight=False)
    out.print(f"BI tools read: {result.bi_path}", highlight=False, soft_wrap=True)


@app.command()
def sample(
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write.")] = SAMPLE_SOURCE,
    rows: Annotated[int, typer.Option(min=1, help="Customers to draw.")] = SAMPLE_ROWS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = SAMPLE_SEED,
) -> None:
    """Write a seeded synthetic customer file in the Mall Customers format."""
    from tasks.sample import generate_customers

    out_path.parent.mkdir(parents=True, exist_ok=True)
    generate_customers(rows, seed=seed).to_csv(out_path, index=False)
    out.print(f"wrote {rows} customers to {out_path}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
