"""The flow's parameters are declared once (flows/parameters.py); the flow, prefect.yaml, the
backfill and the command line's options agree with that declaration."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer.main
import yaml

from flows import backfill
from flows.cli import app
from flows.cli.checks import order_parameters
from flows.parameters import BY_NAME, ORDER_PARAMETERS, PARAMETERS, bind
from flows.segment import segment_customers
from segmentation.periods import Period
from segmentation.settings import make_settings
from tasks.runs import RunSummary

ROOT = Path(__file__).resolve().parents[3]
NAMES = [parameter.name for parameter in PARAMETERS]


def prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_names_are_unique_and_the_order_group_is_declared() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert set(ORDER_PARAMETERS) <= set(NAMES)


def test_the_flow_signature_is_the_declaration() -> None:
    signature = inspect.signature(segment_customers.fn)
    hints = typing.get_type_hints(segment_customers.fn)
    assert list(signature.parameters) == NAMES
    for parameter in PARAMETERS:
        assert signature.parameters[parameter.name].default == parameter.default, parameter.name
        assert hints[parameter.name] == parameter.type, parameter.name


def test_prefect_sees_the_declared_parameters() -> None:
    assert list(segment_customers.parameters.properties) == NAMES


def test_the_flow_docstring_says_what_the_declaration_says() -> None:
    doc = " ".join((segment_customers.fn.__doc__ or "").split())
    for parameter in PARAMETERS:
        assert f"{parameter.name}: {parameter.help}" in doc, parameter.name


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


ORDERS = {"orders": "o.csv", "attributes": None, "date_format": "%Y", "lookback_months": 6, "anonymous_orders": "skip"}


def test_the_in_process_backfill_passes_declared_parameters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def flow(**parameters: Any) -> RunSummary:
        calls.append(parameters)
        return RunSummary(run_id="r", period=parameters["period"], status="succeeded", k=3)

    monkeypatch.setattr(backfill, "segment_customers", flow)
    outcomes = backfill.backfill_in_process(
        [Period.parse("2025Q4"), Period.parse("2026Q1")],
        source=None,
        db=str(tmp_path / "w.duckdb"),
        force=False,
        orders=ORDERS,
    )
    assert [o.period for o in outcomes] == ["2025Q4", "2026Q1"]
    assert [c["period"] for c in calls] == ["2025Q4", "2026Q1"]
    for call in calls:
        assert set(call) <= set(NAMES)
        assert set(ORDER_PARAMETERS) <= set(call)
        assert call["skip_if_succeeded"] is True
        assert call["cadence"] == "quarterly"


def test_the_deployment_backfill_submits_declared_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    submitted: list[dict[str, Any]] = []

    def run_deployment(name: str, *, parameters: dict[str, Any], **_: Any) -> SimpleNamespace:
        submitted.append(parameters)
        return SimpleNamespace(state=None, id="flow-run", name="segment-2025-01")

    monkeypatch.setattr(backfill, "run_deployment", run_deployment)
    outcomes = backfill.backfill_via_deployment(
        [Period.parse("2025-01")], deployment="monthly", source="s.csv", db="w.duckdb", force=True, orders=ORDERS
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
        "orders": "o.csv",
        "date_format": "%Y",
        "lookback_months": 6,
        "anonymous_orders": "skip",
    }


def test_the_command_line_passes_the_order_parameters_together(tmp_path: Path) -> None:
    assert order_parameters(make_settings(db_path=tmp_path / "w.duckdb")) == {}
    settings = make_settings(db_path=tmp_path / "w.duckdb", orders="orders.csv", lookback_months=6)
    assert tuple(order_parameters(settings)) == ORDER_PARAMETERS


FLAGS = {p.flag or "--" + p.name.replace("_", "-"): p for p in PARAMETERS if p.has_option}
COMMON = {"source", "db", "columns", "delimiter", *ORDER_PARAMETERS}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("run", COMMON | {"k", "features", "task_runner", "dask_address"}),
        ("score", COMMON | {"model_run_id"}),
        ("backfill", COMMON),
    ],
)
def test_shared_options_are_built_from_the_declaration(command: str, expected: set[str]) -> None:
    params = typer.main.get_command(app).commands[command].params
    options = {flag: param for param in params for flag in param.opts if flag in FLAGS}
    assert {FLAGS[flag].name for flag in options} == expected
    for flag, option in options.items():
        assert option.metavar == FLAGS[flag].metavar, flag
        assert option.help == FLAGS[flag].option_help, flag
