"""What the command line checks before Prefect starts, so a mistake costs well under two seconds:
the input files' headers (a folder's every file; a PostgreSQL table's catalog: server, credentials,
table, privileges, columns), a k the source's customers can fill, a fitted run to score with, and a
backfill whose periods are all done already (answered from the BI surface, Prefect never started)."""

from __future__ import annotations

import os

from segmentation.errors import PipelineError, too_few_customers
from segmentation.ordersource import inspect_order_source
from segmentation.periods import Period, resolve_source
from segmentation.postgres import is_postgres_url, masked, without_password
from segmentation.results import PeriodOutcome
from segmentation.scoring import choose_model_run
from segmentation.settings import Settings
from segmentation.source import ATTRIBUTES, Source, inspect_source


def hand_over_password(settings: Settings, *, deployment: bool = False) -> Settings:
    """The settings with a PostgreSQL URL's password taken out of it and given to libpq as PGPASSWORD
    (this process's environment, which a run in this process connects with): what becomes a flow
    parameter, a log line or a run record then has none to leak.

    Raises:
        PipelineError: a password in the URL of runs submitted to a deployment: it would be stored with
            them as a parameter on the Prefect server, and the worker connects with its own environment.
    """
    if not settings.orders or not is_postgres_url(settings.orders):
        return settings
    url, password = without_password(settings.orders)
    if password is None:
        return settings
    if deployment:
        raise PipelineError(
            f"{masked(settings.orders)}: a password in the URL would be stored on the Prefect server with each "
            "submitted run\nhint: give the worker the password as PGPASSWORD or in ~/.pgpass, and the URL without it"
        )
    os.environ["PGPASSWORD"] = password
    return settings.model_copy(update={"orders": url})


def check_inputs(settings: Settings, the_period: Period, *, k_must_fit: bool) -> None:
    """Check the input files' headers (and, for a customer table, that k fits its rows when
    `k_must_fit`) before Prefect starts."""
    if settings.orders:
        inspect_order_source(
            resolve_source(settings.orders, the_period),
            columns=settings.columns,
            delimiter=settings.delimiter,
            query=settings.orders_query,
        )
        if settings.attributes:
            inspect_source(
                resolve_source(settings.attributes, the_period),
                columns=settings.columns,
                delimiter=settings.delimiter,
                contract=ATTRIBUTES,
            )
        return
    source = inspect_source(
        resolve_source(settings.customer_source, the_period), columns=settings.columns, delimiter=settings.delimiter
    )
    if k_must_fit:  # a customer table: one row per customer, so k must fit its rows
        check_k_fits(source, settings.candidate_ks, pinned=settings.k is not None)


def rows_at_most(source: Source) -> int:
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


def check_k_fits(source: Source, candidates: list[int], *, pinned: bool) -> None:
    """Refuse at once a k that the source's customers cannot fill (the flow would after ingest).
    A file with no data rows is left to the flow, which says so in its own words."""
    rows = rows_at_most(source)
    smallest = min(candidates)
    if rows <= 0 or too_few_customers(rows, smallest) is None:
        return
    if pinned:
        raise PipelineError(
            f"--k {candidates[0]}: {source.path} has at most {rows:,} customer row(s); "
            f"k must be below the number of customers"
        )
    raise PipelineError(f"{source.path} has at most {rows:,} customer row(s): {too_few_customers(rows, smallest)}")


def check_model_run(settings: Settings, model_run: str | None, period: Period) -> None:
    """Before Prefect starts: the warehouse has a fitted run to score the period with, at or before it
    (read on the BI surface; the flow decides the same way on the warehouse, tasks/score.py)."""
    from warehouse import Warehouse, queries

    if not settings.bi_path.exists():
        if settings.db_path.exists():
            return  # a warehouse never served yet: the flow itself checks
        raise PipelineError(
            f"warehouse {settings.db_path} does not exist, so there is no fitted run to score with: "
            "run `segment run` first"
        )
    with Warehouse.of(settings).read_bi() as con:
        named = queries.model_run(con, model_run) if model_run else None
        current = None if model_run else queries.current_model_run(con, period.end)
    choose_model_run(model_run, named, current, period)


def done_already(settings: Settings, periods: list[Period]) -> list[PeriodOutcome] | None:
    """Every period's succeeded run, as a backfill reports a skipped period, when every period has
    one on the BI surface; else None (the backfill runs). No Prefect server is started for a
    backfill that has nothing to do."""
    from warehouse import Warehouse, WarehouseError, queries

    if not settings.bi_path.exists():
        return None
    try:
        with Warehouse.of(settings).read_bi() as con:
            found = {period.label: queries.succeeded_run_with_k(con, period.label) for period in periods}
    except WarehouseError:
        return None  # a surface this code cannot read: the runs say why
    if any(row is None for row in found.values()):
        return None
    return [PeriodOutcome(label, "skipped", k, run_id) for label, (run_id, k) in found.items()]
