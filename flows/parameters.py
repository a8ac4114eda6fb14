"""The segmentation flow's parameters, declared once: name, type, default, what it means, and how
the command line and prefect.yaml give it.

The flow keeps its explicit signature (Prefect builds the deployment's parameter schema and the
UI's form from it); tests/unit/flows/test_parameters.py holds that signature, its docstring,
prefect.yaml and the backfill to this declaration. The command line builds its shared options
from `option_of`, and the backfill binds the parameters it passes with `bind`.

Light on purpose: no Prefect, no pandas; the command line imports it before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

# Where prefect.yaml gives a parameter: in the shared `parameters` block every deployment
# merges ("shared"), per deployment ("deployment": cadence, mode, the monthly model), or nowhere,
# left to the schedule and the worker's environment ("runtime": the period that just ended,
# SEGMENT_DB_PATH, SEGMENT_TASK_RUNNER, SEGMENT_DASK_ADDRESS).
InYaml = Literal["shared", "deployment", "runtime"]


@dataclass(frozen=True)
class Parameter:
    """One flow parameter and, where the command line has one, its option."""

    name: str
    type: Any  # the flow's annotation
    default: Any
    help: str  # as the flow's docstring says it (its Args)
    in_yaml: InYaml
    metavar: str | None = None  # the command line's option, when commands share it
    option_help: str | None = None
    option_type: Any = None  # what the option takes when it is not the flow's type (text to parse, a Path)
    flag: str | None = None  # the option's name when it is not --<name with dashes>

    @property
    def has_option(self) -> bool:
        return self.option_help is not None


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "period",
        str | None,
        None,
        "'2026Q1' or '2026-03'; default: the period that ended before the scheduled start.",
        "runtime",
    ),
    Parameter(
        "source",
        str | None,
        None,
        "CSV or Parquet path, may contain '{period}'; default: the bundled sample.",
        "shared",
        metavar="PATH",
        option_help="CSV or Parquet file; may contain {period}. Default: the bundled sample.",
    ),
    Parameter(
        "db",
        str | None,
        None,
        "DuckDB warehouse file; default: SEGMENT_DB_PATH or ./segments.duckdb.",
        "runtime",
        metavar="PATH",
        option_help="The warehouse file. Default: $SEGMENT_DB_PATH or ./segments.duckdb.",
        option_type=Path | None,
    ),
    Parameter(
        "k",
        int | None,
        None,
        "pin the number of segments instead of choosing it (fit mode).",
        "shared",
        metavar="N",
        option_help="Pin the number of segments.",
    ),
    Parameter(
        "features",
        list[str] | None,
        None,
        "columns to cluster on; default: annual_income, spending_score (fit mode).",
        "shared",
        metavar="LIST",
        option_help="Columns to cluster on. Orders: recency_days,frequency,monetary (default), avg_order_value, "
        "tenure_days, and attributes. A customer table: annual_income,spending_score (default), age, gender.",
        option_type=str | None,
    ),
    Parameter(
        "cadence",
        Literal["quarterly", "monthly"],
        "quarterly",
        "'quarterly' or 'monthly', for deriving the default period.",
        "deployment",
    ),
    Parameter(
        "skip_if_succeeded",
        bool,
        False,
        "do nothing if the period already has a succeeded run (backfills).",
        "shared",
    ),
    Parameter(
        "columns",
        dict[str, str] | None,
        None,
        "contract column -> the source's header, for headers the contract does not know.",
        "shared",
        metavar="MAP",
        option_help="Name the source's columns: customer_id=Customer Id,annual_income=Income,... "
        "Default: $SEGMENT_COLUMNS; the documented headers are matched without it.",
        option_type=str | None,
    ),
    Parameter(
        "delimiter",
        str | None,
        None,
        "the CSV delimiter (comma, semicolon, tab); default: detected.",
        "shared",
        metavar="DELIM",
        option_help="CSV delimiter: comma, semicolon or tab. Default: detected.",
    ),
    Parameter(
        "task_runner",
        Literal["threads", "dask"] | None,
        None,
        "'threads' (default) or 'dask' for the candidate-k fits.",
        "runtime",
        metavar="RUNNER",
        option_help="threads (default) or dask: where candidate k are fitted.",
        option_type=str | None,
    ),
    Parameter(
        "dask_address",
        str | None,
        None,
        "the Dask scheduler, with task_runner='dask'.",
        "runtime",
        metavar="ADDRESS",
        option_help="With --task-runner dask: the scheduler, tcp://HOST:PORT.",
    ),
    Parameter(
        "mode",
        Literal["fit", "score"],
        "fit",
        "'fit' a new model, or 'score' with an earlier fitted run's model.",
        "deployment",
    ),
    Parameter(
        "model_run_id",
        str | None,
        None,
        "score mode: the run whose model to use; default: the newest fitted run of a period ending at or "
        "before this one.",
        "deployment",
        metavar="RUN_ID",
        option_help="The fitted run whose model to use. Default: the current fitted run.",
        flag="--model-run",
    ),
    Parameter(
        "orders",
        str | None,
        None,
        "an order history (CSV or Parquet, may contain '{period}') instead of a customer table: customers are "
        "segmented on their behaviour as of the period's end.",
        "shared",
        metavar="PATH",
        option_help="An order history (CSV or Parquet; may contain {period}) to segment on behaviour instead of a "
        "customer table: customer_id, order_date, amount (order_id, quantity, unit_price optional). "
        "Default: $SEGMENT_ORDERS.",
    ),
    Parameter(
        "attributes",
        str | None,
        None,
        "with orders, a customer attributes file (gender, age, annual_income) joined by customer_id.",
        "shared",
        metavar="PATH",
        option_help="With --orders: customer attributes (customer_id, gender, age, income).",
    ),
    Parameter(
        "date_format",
        str | None,
        None,
        "with orders, the order dates' strptime format; default: detected.",
        "shared",
        metavar="FORMAT",
        option_help="With --orders: order dates' form, e.g. '%d/%m/%Y'. Default: detected.",
    ),
    Parameter(
        "lookback_months",
        int | None,
        None,
        "with orders, the window of orders the features use (default 12).",
        "shared",
        metavar="MONTHS",
        option_help="With --orders: months of orders up to the period's end (default 12).",
    ),
    Parameter(
        "anonymous_orders",
        Literal["refuse", "skip"] | None,
        None,
        "with orders, 'refuse' (default) or 'skip' lines without a customer ID.",
        "shared",
        metavar="refuse|skip",
        option_help="With --orders: lines without a customer ID fail the run (refuse, default) or are left out "
        "and counted.",
        option_type=str | None,
    ),
)

BY_NAME: dict[str, Parameter] = {parameter.name: parameter for parameter in PARAMETERS}

# The parameters of an order history, passed together (or not at all, for a customer table).
ORDER_PARAMETERS: tuple[str, ...] = ("orders", "attributes", "date_format", "lookback_months", "anonymous_orders")


def bind(**values: object) -> dict[str, object]:
    """The flow's parameters, refusing a name the flow does not have (before a run or a submission)."""
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise TypeError(f"not parameters of the segmentation flow: {', '.join(unknown)}")
    return dict(values)
