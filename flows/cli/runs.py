"""The commands that read past runs on the BI surface, so they never hold up a run: `runs`,
`show`, `report`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.errors import EXPECTED_ERRORS, fail
from flows.cli.options import DbOpt, JsonOpt, RunArg
from flows.cli.output import out, print_json, print_run, runs_table
from segmentation.settings import Settings, make_settings

if TYPE_CHECKING:
    import duckdb


@contextmanager
def bi_surface(db: Path | None) -> Iterator[tuple[Settings, duckdb.DuckDBPyConnection]]:
    """Settings and a hardened read-only connection to the BI surface (never the warehouse)."""
    from warehouse import Warehouse

    settings = make_settings(db_path=db)
    with Warehouse.of(settings).read_bi() as con:
        yield settings, con


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
    from warehouse import queries

    try:
        with bi_surface(db) as (_, con):
            rows = records(queries.run_history(con, period=period, limit=limit))
    except EXPECTED_ERRORS as error:
        raise fail(error) from None
    if as_json:
        print_json({"runs": rows})
        return
    out().print(runs_table(rows))


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

    from tasks.report import find_run, forecast_sentence, load_report_data, records

    try:
        with bi_surface(db) as (_, con):
            data = load_report_data(con, find_run(con, run_or_period))
    except EXPECTED_ERRORS as error:
        raise fail(error) from None
    run = records(pd.DataFrame([data.run]))[0]
    if as_json:
        print_json(
            {
                "run": run,
                "segments": records(data.profiles),
                "k_table": records(data.k_table),
                "lineage": records(data.lineage),
                "drift": list(data.flags["reason"]),
                "validation_failures": records(data.failures),
                "forecast": records(pd.DataFrame([data.forecast]))[0] if data.forecast else None,
                "forecast_accuracy": records(data.accuracy) if data.accuracy is not None else [],
            }
        )
        return
    print_run(
        run,
        profiles=records(data.profiles),
        k_table=records(data.k_table),
        drift=list(data.flags["reason"]),
        forecast=forecast_sentence(data.forecast, data.money) if data.forecast else None,
    )


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
        with bi_surface(db) as (settings, con):
            run_id = find_run(con, run_or_period)
        page = settings.artifacts_root / run_id / "report.html"
        if not page.exists():
            page, _ = write_report(settings.bi_path, run_id, settings.artifacts_root)
    except EXPECTED_ERRORS as error:
        raise fail(error) from None
    out().print(str(page.resolve()))
    if open_it:
        import webbrowser

        webbrowser.open(page.resolve().as_uri())
