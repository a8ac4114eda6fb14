"""The flow's parameters have one declaration (the `Exposed` fields of segmentation/settings.py):
the flow's signature and docstring, the command line's options, prefect.yaml, the backfills and
README's settings table agree with it."""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer.main
import yaml

from flows import backfill
from flows.cli import app
from flows.parameters import BY_NAME, PARAMETERS, bind, parameters_of, resolve, settings_of
from flows.segment import segment_customers
from segmentation.periods import Period
from segmentation.results import RunSummary
from segmentation.settings import RunRequest, Settings, make_settings

ROOT = Path(__file__).resolve().parents[3]
NAMES = [parameter.name for parameter in PARAMETERS]


def prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_names_are_unique_and_every_request_field_is_a_parameter() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert set(RunRequest.model_fields) <= {p.field for p in PARAMETERS}
    assert {p.field for p in PARAMETERS if p.setting} <= set(Settings.model_fields)


def test_the_flow_signature_is_the_declaration() -> None:
    signature = inspect.signature(segment_customers.fn)
    hints = typing.get_type_hints(segment_customers.fn)
    assert list(signature.parameters) == NAMES
    for parameter in PARAMETERS:
        assert signature.parameters[parameter.name].default == parameter.default, parameter.name
        assert hints[parameter.name] == parameter.type, parameter.name
    settings_only = [p for p in PARAMETERS if p.setting]
    assert all(p.default is None for p in settings_only)  # None: the worker's environment decides


def test_prefect_sees_the_declared_parameters() -> None:
    assert list(segment_customers.parameters.properties) == NAMES
    assert segment_customers.parameters.properties["lookback_months"]["description"].startswith("with orders")


def test_the_flow_docstring_says_what_the_declaration_says() -> None:
    doc = " ".join((segment_customers.fn.__doc__ or "").split())
    for parameter in PARAMETERS:
        assert f"{parameter.name}: {' '.join(parameter.help.split())}" in doc, parameter.name


def test_prefect_yaml_shares_the_declared_parameters_with_their_defaults() -> None:
    shared = prefect_yaml()["definitions"]["parameters"]
    assert set(shared) == {p.name for p in PARAMETERS if p.in_yaml == "shared"}
    # Every default but the order history, which the deployments point at the bundled sample.
    assert {name: value for name, value in shared.items() if name != "orders"} == {
        name: BY_NAME[name].default for name in shared if name != "orders"
    }


def test_each_deployment_sets_only_the_declared_per_deployment_parameters() -> None:
    document = prefect_yaml()
    shared = set(document["definitions"]["parameters"])
    own: set[str] = set()
    for deployment in document["deployments"]:
        assert deployment["entrypoint"] == "flows/segment.py:segment_customers"
        given = set(deployment["parameters"])
        assert shared <= given, deployment["name"]
        own |= given - shared
        for name in given - shared:
            assert BY_NAME[name].in_yaml == "deployment", (deployment["name"], name)
    assert own == {p.name for p in PARAMETERS if p.in_yaml == "deployment"}


def test_bind_refuses_a_name_the_flow_does_not_have() -> None:
    assert bind(period="2026Q1", k=3) == {"period": "2026Q1", "k": 3}
    with pytest.raises(TypeError, match="not parameters of the segmentation flow: kk, perod"):
        bind(period="2026Q1", perod="x", kk=3)


def test_settings_travel_through_parameters_unchanged(tmp_path: Path) -> None:
    settings = make_settings(
        db_path=tmp_path / "w.duckdb",
        orders=str(tmp_path / "o.csv"),
        lookback_months=6,
        columns="customer_id=Kunde",
        features="recency_days,monetary",
    )
    parameters = parameters_of(settings, period="2026Q1", mode="score")
    request, again = resolve(parameters)
    assert again == settings
    assert (request.period, request.mode, request.cadence) == ("2026Q1", "score", "quarterly")
    assert parameters["columns"] == {"customer_id": "Kunde"}
    assert parameters["features"] == ["recency_days", "monetary"]


def test_options_become_the_settings_the_flow_rebuilds(tmp_path: Path) -> None:
    options = {"db": tmp_path / "w.duckdb", "features": "age, annual_income", "k": None, "as_json": True}
    settings = settings_of(options)
    assert settings.features == ("age", "annual_income")
    assert settings.db_path == tmp_path / "w.duckdb"
    assert resolve(parameters_of(settings))[1] == settings


def test_a_deployment_gets_only_what_was_given(tmp_path: Path) -> None:
    settings = make_settings(db_path=tmp_path / "w.duckdb", columns="customer_id=Kunde")
    assert parameters_of(settings, only=["columns"]) == {"columns": {"customer_id": "Kunde"}}


def test_the_in_process_backfill_passes_declared_parameters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def flow(**parameters: Any) -> RunSummary:
        calls.append(parameters)
        return RunSummary(run_id="r", period=parameters["period"], status="succeeded", k=3)

    monkeypatch.setattr(backfill, "segment_customers", flow)
    given = parameters_of(make_settings(db_path=tmp_path / "w.duckdb", orders="o.csv", lookback_months=6))
    outcomes = backfill.backfill_in_process(
        [Period.parse("2025Q4"), Period.parse("2026Q1")], parameters=given, force=False
    )
    assert [o.period for o in outcomes] == ["2025Q4", "2026Q1"]
    assert [c["period"] for c in calls] == ["2025Q4", "2026Q1"]
    for call in calls:
        assert set(call) <= set(NAMES)
        assert (call["orders"], call["lookback_months"]) == ("o.csv", 6)
        assert call["skip_if_succeeded"] is True
        assert call["cadence"] == "quarterly"


def test_the_deployment_backfill_submits_declared_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    submitted: list[dict[str, Any]] = []

    def run_deployment(name: str, *, parameters: dict[str, Any], **_: Any) -> SimpleNamespace:
        submitted.append(parameters)
        return SimpleNamespace(state=None, id="flow-run", name="segment-2025-01")

    monkeypatch.setattr(backfill, "run_deployment", run_deployment)
    given = {"source": "s.csv", "db": "w.duckdb", "date_format": "%Y", "lookback_months": 6, "columns": None}
    outcomes = backfill.backfill_via_deployment(
        [Period.parse("2025-01")], deployment="monthly", parameters=given, force=True
    )
    assert [o.outcome for o in outcomes] == ["Submitted"]
    (parameters,) = submitted
    assert set(parameters) <= set(NAMES)
    # None is left out: the deployment's own value stands.
    assert parameters == {
        "period": "2025-01",
        "skip_if_succeeded": False,
        "source": "s.csv",
        "db": "w.duckdb",
        "date_format": "%Y",
        "lookback_months": 6,
    }


FLAGS = {p.flag: p for p in PARAMETERS if p.exposed.commands}


@pytest.mark.parametrize("command", ["run", "score", "backfill"])
def test_shared_options_are_built_from_the_declaration(command: str) -> None:
    params = typer.main.get_command(app).commands[command].params
    options = {flag: param for param in params for flag in param.opts if flag in FLAGS}
    assert {FLAGS[flag].name for flag in options} == {p.name for p in PARAMETERS if command in p.exposed.commands}
    for flag, option in options.items():
        assert option.metavar == FLAGS[flag].exposed.metavar, flag
        assert option.help == FLAGS[flag].option_help, flag


def settings_table() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(SEGMENT_[A-Z_]+)`", table))


def test_readme_lists_every_setting_and_nothing_else() -> None:
    assert settings_table() == {f"SEGMENT_{name.upper()}" for name in Settings.model_fields}
