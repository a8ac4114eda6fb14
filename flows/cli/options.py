"""The options several commands share, built from the flow's parameters (flows/parameters.py),
and the parsing of option text that the flow takes as a value."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flows.parameters import BY_NAME


def option(name: str) -> Any:
    """The option of flow parameter `name`: its type on the command line, metavar and help."""
    parameter = BY_NAME[name]
    if not parameter.has_option:
        raise ValueError(f"flow parameter {name!r} has no command-line option")
    declarations = (parameter.flag,) if parameter.flag else ()
    return Annotated[
        parameter.option_type or parameter.type,
        typer.Option(*declarations, metavar=parameter.metavar, help=parameter.option_help),
    ]


SourceOpt = option("source")
DbOpt = option("db")
KOpt = option("k")
FeaturesOpt = option("features")
ColumnsOpt = option("columns")
DelimiterOpt = option("delimiter")
TaskRunnerOpt = option("task_runner")
DaskAddressOpt = option("dask_address")
ModelRunOpt = option("model_run_id")
OrdersOpt = option("orders")
AttributesOpt = option("attributes")
DateFormatOpt = option("date_format")
LookbackOpt = option("lookback_months")
AnonymousOpt = option("anonymous_orders")
# Described in each command's text: typer would print an odd "<str>" beside a listed argument.
RunArg = Annotated[str | None, typer.Argument(metavar="RUN_ID|PERIOD", hidden=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Also print Prefect's log lines on stderr.")]


def parse_features(text: str | None) -> tuple[str, ...] | None:
    """`--features a, b` as the settings take it: ('a', 'b'); None when not given."""
    return tuple(part.strip() for part in text.split(",")) if text else None
