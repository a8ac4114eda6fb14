"""The options `run`, `score` and `backfill` share, built from the flow's parameters
(flows/parameters.py, declared once in segmentation/settings.py), and the few options of the
command line's own."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from flows.parameters import PARAMETERS, Parameter

F = TypeVar("F", bound=Callable[..., Any])


def option(parameter: Parameter) -> Any:
    """The command-line option of a flow parameter: what it takes, its flag, metavar and help."""
    return Annotated[
        parameter.option_type,
        typer.Option(parameter.flag, metavar=parameter.exposed.metavar, help=parameter.option_help),
    ]


def shared_options(command: str) -> list[inspect.Parameter]:
    """The declared parameters `command` has an option for, in declaration order."""
    return [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option(p))
        for p in PARAMETERS
        if command in p.exposed.commands
    ]


def with_shared_options(command: str) -> Callable[[F], F]:
    """Add the shared options of `command` to a `def f(own options..., **options)` command.

    Typer reads a command's options from its signature; the function receives them in `options`."""

    def decorate(function: F) -> F:
        own = [p for p in inspect.signature(function, eval_str=True).parameters.values() if p.kind is not p.VAR_KEYWORD]
        head = [p for p in own if p.default is inspect.Parameter.empty]
        tail = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is not inspect.Parameter.empty]
        function.__signature__ = inspect.Signature([*head, *shared_options(command), *tail])  # type: ignore[attr-defined]
        return function

    return decorate


# Described in each command's text: typer would print an odd "<str>" beside a listed argument.
RunArg = Annotated[str | None, typer.Argument(metavar="RUN_ID|PERIOD", hidden=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Also print Prefect's log lines on stderr.")]
DbOpt = option(next(p for p in PARAMETERS if p.name == "db"))
