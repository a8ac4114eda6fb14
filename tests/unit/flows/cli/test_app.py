"""The command line's own surface, in this process: help, README's synopsis and JSON keys, and the
mistakes refused before Prefect or a flow starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT, invoke

COMMANDS = ("run", "score", "backfill", "runs", "show", "report", "export", "serve", "sample")  # as `--help` lists them


def test_every_command_has_a_clean_help_with_an_example() -> None:
    for command in COMMANDS:
        result = invoke(command, "--help")
        assert result.exit_code == 0, command
        assert "Example: segment " in result.stdout, command
        assert "<bool>" not in result.stdout, command
        assert "<str>" not in result.stdout, command
    top = invoke("--help")
    listed = [line.split()[0] for line in top.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert tuple(listed) == COMMANDS  # every command, pipeline first


def readme_synopsis() -> dict[str, str]:
    """README's synopsis block: command -> every line given for it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines: dict[str, str] = {}
    command = None
    for line in block.splitlines():
        if line.startswith("segment "):
            command = line.split()[1]
        if command:
            lines[command] = lines.get(command, "") + " " + line
    return lines


def test_readme_synopsis_names_every_option_of_every_command() -> None:
    import typer.main

    from flows.cli import app

    synopsis = readme_synopsis()
    assert set(synopsis) == set(COMMANDS)
    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            for option in (o for o in param.opts if o.startswith("--") and o != "--help"):
                assert option in synopsis[name], f"README's synopsis of `segment {name}` lacks {option}"


def test_json_keys_are_the_ones_readme_lists() -> None:
    from dataclasses import fields

    from segmentation.results import RunSummary

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = text.split("`--json` prints one JSON document with the keys", 1)[1].split(".\n", 1)[0]
    keys = re.findall(r"`(\w+)`(?! \()", listed.replace("`segments` (", "`segments`, ("))
    assert [k for k in keys if k not in ("segment_id", "name", "customers")] == [f.name for f in fields(RunSummary)]


def test_unknown_feature_is_a_clear_error(workdir: Path, db: Path, mall_csv: Path) -> None:
    result = invoke("run", "--source", str(mall_csv), "--db", str(db), "--features", "height")
    assert result.exit_code == 1
    assert "invalid option: --features / SEGMENT_FEATURES: unknown features ['height']" in result.stderr
    assert "Value error" not in result.stderr


def test_bad_options_are_refused_before_anything_runs(workdir: Path, db: Path) -> None:
    pinned = invoke("run", "--db", str(db), "--k", "1")
    assert pinned.exit_code == 1
    assert "invalid option: --k / SEGMENT_K: Input should be greater than or equal to 2 (got 1)" in pinned.stderr
    period = invoke("run", "--db", str(db), "--period", "2026Q5")
    assert period.exit_code == 1
    assert "period '2026Q5' is neither a quarter like 2026Q1 nor a month like 2026-03" in period.stderr
    assert not db.exists()


def test_bad_range_is_refused() -> None:
    result = invoke("backfill", "--from", "2025Q3", "--to", "2025-01")
    assert result.exit_code == 1
    assert "both be quarters or both months" in result.stderr


def test_dask_without_an_address_is_refused_before_anything_runs(workdir: Path, mall_csv: Path) -> None:
    result = invoke("run", "--source", mall_csv, "--task-runner", "dask", "--db", "w.duckdb")
    assert result.exit_code == 1
    assert "task_runner 'dask' needs a dask_address such as tcp://HOST:8786" in result.stderr
    assert not (workdir / "w.duckdb").exists()


def test_dispatch_gives_ctrl_c_its_code_and_lets_a_bug_keep_its_own_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typer

    import flows.cli

    def aborted(*args: object, **kwargs: object) -> None:
        raise typer.Abort()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(flows.cli, "app", aborted)
    assert flows.cli.dispatch([], []) == 130
    monkeypatch.setattr(flows.cli, "app", broken)
    with pytest.raises(RuntimeError, match="a bug"):  # itself, not an error raised while handling it
        flows.cli.dispatch([], [])


def test_dispatch_turns_a_usage_mistake_into_one_deferred_error_line() -> None:
    import flows.cli
    from flows.cli import errors

    deferred: list[str] = []
    assert flows.cli.dispatch(["run", "--bogus"], deferred) == 2
    assert errors.deferred is None  # later errors in this process are said at once again
    [message] = deferred  # one line, said after Prefect's exit handlers (main)
    assert message.startswith("No such option: --bogus")
    assert message.endswith(" run --help`)")  # the program's name is argv[0]: `segment` for users
