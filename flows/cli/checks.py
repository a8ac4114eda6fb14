"""What the command line checks before Prefect starts, so a mistake costs well under two seconds:
the input files' headers, a k the source's customers can fill, a fitted run to score with."""

from __future__ import annotations

from typing import Any

from flows.parameters import ORDER_PARAMETERS
from segmentation.csvfile import path_parameter
from segmentation.errors import PipelineError
from segmentation.periods import Period, resolve_source
from segmentation.settings import SAMPLE_SOURCE
from segmentation.source import ATTRIBUTES, inspect_orders, inspect_source


def check_inputs(settings: Any, the_period: Period, source: str | None) -> str | None:
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


def order_parameters(settings: Any) -> dict[str, Any]:
    """The order-history flow parameters of the settings (none for a customer table)."""
    if not settings.orders:
        return {}
    values = {
        "orders": path_parameter(settings.orders),
        "attributes": path_parameter(settings.attributes) if settings.attributes else None,
        "date_format": settings.date_format,
        "lookback_months": settings.lookback_months,
        "anonymous_orders": settings.anonymous_orders,
    }
    return {name: values[name] for name in ORDER_PARAMETERS}


def rows_at_most(source: Any) -> int:
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


def check_k_fits(source: Any, candidates: list[int], *, pinned: bool) -> None:
    """Refuse at once a k that the source's customers cannot fill (the flow would after ingest).
    A file with no data rows is left to the flow, which says so in its own words."""
    rows = rows_at_most(source)
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


def check_model_run(settings: Any, model_run: str | None, period: Period) -> None:
    """Before Prefect starts: the warehouse has a fitted run to score the period with, at or before it
    (read on the BI surface)."""
    from warehouse import Warehouse, queries

    if not settings.bi_path.exists():
        if settings.db_path.exists():
            return  # a warehouse never served yet: the flow itself checks
        raise PipelineError(
            f"warehouse {settings.db_path} does not exist, so there is no fitted run to score with: "
            "run `segment run` first"
        )
    # The flow's own reads (tasks.score.find_model_run), without importing Prefect.
    with Warehouse.of(settings).read_bi() as con:
        found = queries.model_run(con, model_run) if model_run else None
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
        if not model_run and queries.current_model_run(con, period.end) is None:
            raise PipelineError(
                f"this warehouse has no succeeded fitted run of a period ending by {period.end} to score {period} "
                f"with: run `segment run --period {period}` (or an earlier period) first"
            )
