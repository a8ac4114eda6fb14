"""The `segment` command line: wiring and printing only.

Everything that can be checked without running anything (options, the period, the source file
and its header) is checked before Prefect is imported, so a mistake costs well under two
seconds. Prefect's own log lines go to its API (the UI) and reach stderr only with --verbose
(or when PREFECT_LOGGING_LEVEL is set); a failure ends with one `error:` message, last on stderr.

One module per group of commands: `pipeline` (run, score, backfill), `runs` (runs, show,
report), `bi` (export, serve), `sample`; beside them the shared `options`, the pre-run `checks`,
`output` (JSON and text), `errors` (the one `error:` block) and `prefect_setup`.
"""

from __future__ import annotations

import os
import sys

import typer

from flows.cli import bi, errors, pipeline, prefect_setup, runs, sample

__all__ = ["app", "dispatch", "main"]

app = typer.Typer(
    help="Customer segmentation: K-Means segments per period, kept in a DuckDB warehouse and served to BI tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)

# In the order `segment --help` lists them.
for _command in (
    pipeline.run,
    pipeline.score,
    pipeline.backfill,
    runs.runs,
    runs.show,
    runs.report,
    bi.export,
    bi.serve,
    sample.sample,
):
    app.command()(_command)


def dispatch(args: list[str] | None, deferred: list[str]) -> int | str | None:
    """Run the command; its exit code (or message). Its `error:` lines go to `deferred`, for the
    caller to print last (usage mistakes become one such line, not Click's box).

    Any other exception is left to propagate: the commands turn every error they expect into an
    `error:` line themselves, so what gets here is a bug and keeps its traceback.
    """
    from typer._click import exceptions as click  # the Click that Typer bundles and raises

    errors.deferred = deferred
    try:
        return app(args, standalone_mode=False)
    except click.NoArgsIsHelpError as usage:
        usage.show()
        return usage.exit_code
    except click.UsageError as usage:
        # One `error:` line like every other mistake, not Click's usage box.
        command = usage.ctx.command_path if usage.ctx else "segment"
        deferred.append(f"{usage.format_message()} (see `{command} --help`)")
        return usage.exit_code
    except typer.Abort:  # Ctrl-C at a prompt (Typer's own Abort: its bundled Click has none)
        return 130
    except SystemExit as done:
        return done.code
    finally:
        errors.deferred = None  # said at once again, as in-process callers (tests) expect


def main() -> None:
    """Run the command, then end the process without the interpreter's teardown.

    With pandas, scikit-learn, DuckDB and Prefect loaded, tearing the interpreter down takes most
    of a second after the work is done. Everything is written by then; the exit handlers still
    run (Prefect sends its last logs and events, a temporary server stops), streams are flushed.
    """
    deferred: list[str] = []
    code = dispatch(None, deferred)
    prefect_setup.run_exit_handlers()
    for message in deferred:
        errors.say_error(message)
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
