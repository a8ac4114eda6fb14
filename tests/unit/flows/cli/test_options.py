"""The shared options of the command line, built from the flow's parameters (their one declaration)."""

from __future__ import annotations

import inspect
from typing import Any

from flows.cli.options import JsonOpt, shared_options, with_shared_options
from flows.parameters import BY_NAME


def test_each_command_gets_the_parameters_declared_for_it() -> None:
    assert {p.name for p in shared_options("score")} >= {"model_run_id", "orders", "db"}
    assert "model_run_id" not in {p.name for p in shared_options("run")}
    assert {"k", "features"} <= {p.name for p in shared_options("run")}
    assert {"k", "features"}.isdisjoint(p.name for p in shared_options("score"))
    assert not {"period", "cadence", "mode", "skip_if_succeeded"} & {p.name for p in shared_options("run")}


def test_shared_options_are_keyword_only_and_default_to_not_given() -> None:
    for parameter in shared_options("backfill"):
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None
        assert BY_NAME[parameter.name].exposed.commands


def test_a_command_keeps_its_own_options_around_the_shared_ones() -> None:
    @with_shared_options("run")
    def command(required: str, as_json: JsonOpt = False, **options: Any) -> None:
        """A command."""

    names = list(inspect.signature(command).parameters)
    assert names[0] == "required"  # without a default: first
    assert names[-1] == "as_json"  # with a default: after the shared ones
    assert set(names[1:-1]) == {p.name for p in shared_options("run")}
