"""How the command line says what went wrong: one `error:` block, last on stderr, exit 1."""

from __future__ import annotations

import sys
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from flows.cli.output import print_json
from flows.logs import EXPECTED_ERRORS
from flows.parameters import PARAMETERS

__all__ = ["EXPECTED_ERRORS", "fail", "say_error"]

# Settings that a command-line option also sets; every other setting only has its variable.
OPTION_OF = {p.field: p.flag for p in PARAMETERS if p.setting and p.exposed.commands}

# Under `main`, the error is printed after Prefect's exit handlers, which may still write to
# stderr (its last logs and events); it stays the last thing there. None: print at once.
deferred: list[str] | None = None


def error_text(error: BaseException | str) -> str:
    """The message of an error: a settings error names the option or variable that set each value."""
    if isinstance(error, ValidationError):
        return "invalid option: " + "; ".join(setting_problem(e) for e in error.errors())
    return str(error)


def setting_problem(problem: Any) -> str:
    """One of pydantic's errors about the settings, in the words of the option or variable."""
    name = ".".join(map(str, problem["loc"]))
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    shown = ",".join(map(str, given)) if isinstance(given, list | tuple) else given
    variable = f"SEGMENT_{name.upper()}"
    where = f"{OPTION_OF[name]} / {variable}" if name in OPTION_OF else variable
    return f"{where}: {message} (got {shown!r})" if name else message


def fail(error: BaseException | str, *, as_json: bool = False, **context: object) -> typer.Exit:
    """Say what went wrong once, as the last thing on stderr; exit 1."""
    # Text, whatever bytes a file name held (a lone surrogate cannot be written to a stream).
    message = error_text(error).encode("utf-8", "backslashreplace").decode("utf-8")
    if as_json:
        print_json({"status": "failed", **context, "error": message})
    if deferred is not None:
        deferred.append(message)
    else:
        say_error(message)
    return typer.Exit(code=1)


def error_block(message: str) -> str:
    """`message` with its further lines (hints) indented beneath its first."""
    first, *more = message.splitlines() or [""]
    return "\n".join([first, *(line if line.startswith(" ") else f"  {line}" for line in more)])


def say_error(message: str) -> None:
    """One block on stderr: `error:` and the message; its further lines (hints) indented beneath."""
    block = error_block(message)
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print("[bold red]error:[/] ", end="", markup=True)
    Console(file=sys.stderr, soft_wrap=True, highlight=False).print(block, markup=False)
