"""The house's rules, read from the source: layers import only downward, no import cycles, a stage
imports no other stage (what stages hand each other is in segmentation/results.py), stages and flows
reach the warehouse only through its handle, the command line holds no SQL, the flow only wires and
fits a screen, no module keeps a cache that only grows, and a plain ValueError is never an expected
error."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("flows", "tasks", "segmentation", "schemas", "warehouse")
# What each package may import from the project (and whether it may import Prefect). Lower layers
# never import upward: flows wire tasks; tasks are stages over segmentation, schemas and warehouse.
ALLOWED = {
    "schemas": {"schemas", "segmentation"},
    "segmentation": {"segmentation", "schemas"},
    "warehouse": {"warehouse"},
    "tasks": {"segmentation", "schemas", "warehouse"},  # a stage imports no other stage
    "flows": {"flows", "tasks", "segmentation", "schemas", "warehouse"},
}
NO_PREFECT = ("segmentation", "schemas", "warehouse")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path, *, runtime_only: bool = True) -> set[str]:
    """Modules `path` imports; imports under `if TYPE_CHECKING:` are left out when runtime_only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_tree_has_the_packages_it_should() -> None:
    assert {name.split(".")[0] for name in MODULES} == set(PACKAGES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_and_below(module: str) -> None:
    package = module.split(".")[0]
    project = {name.split(".")[0] for name in _imports(MODULES[module]) if name.split(".")[0] in PACKAGES}
    assert project <= ALLOWED[package], f"{module} imports {sorted(project - ALLOWED[package])}"
    if package in NO_PREFECT:
        assert not any(name.split(".")[0] == "prefect" for name in _imports(MODULES[module])), module


def test_no_import_cycle() -> None:
    graph = {
        name: {dep for dep in _imports(path, runtime_only=False) if dep in MODULES and dep != name}
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


CONNECT = re.compile(r"\b(connect|connect_bi|duckdb\.connect)\(")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[0] in ("tasks", "flows")))
def test_stages_and_flows_open_the_warehouse_only_through_its_handle(module: str) -> None:
    text = MODULES[module].read_text(encoding="utf-8")
    assert not CONNECT.search(text), f"{module} opens a connection itself: use warehouse.Warehouse"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("flows.cli")))
def test_the_command_line_holds_no_sql(module: str) -> None:
    text = MODULES[module].read_text(encoding="utf-8")
    assert not re.search(r"\bsql\(|\.execute\(|\bSELECT\b|\bFROM\s+\w+\s+WHERE\b", text), module


def test_what_stages_hand_each_other_is_declared_in_one_module() -> None:
    from dataclasses import is_dataclass

    import segmentation.results as results

    declared = {name for name, value in vars(results).items() if is_dataclass(value)}
    for module in (m for m in MODULES if m.startswith("tasks.")):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        frozen = [
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef) and any("dataclass" in ast.unparse(d) for d in node.decorator_list)
        ]
        # A stage may keep a small holder of its own (tasks/orders.py ReadOnce), never a result it hands on.
        assert not set(frozen) & declared, module
        assert all(name in {"ReadOnce", "ReportData"} for name in frozen), (module, frozen)


FLOW_BODY_LINES = 30


def test_the_flow_only_wires_and_fits_a_screen() -> None:
    tree = ast.parse(MODULES["flows.segment"].read_text(encoding="utf-8"))
    (flow,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "segment_customers"]
    body = flow.body[1:] if isinstance(flow.body[0], ast.Expr) else flow.body  # past the docstring
    lines = body[-1].end_lineno - body[0].lineno + 1
    assert lines <= FLOW_BODY_LINES, f"segment_customers has {lines} lines; it should read like the diagram"
    assert not any(isinstance(n, ast.Try | ast.While | ast.For) for n in ast.walk(flow)), "the flow only wires"


MUTABLE = ("dict", "list", "set", "deque", "defaultdict", "OrderedDict")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_keeps_a_cache_that_only_grows(module: str) -> None:
    """A mutable container at module level is a constant (UPPER_CASE, filled where it is made) or
    the record of one run (OUTCOME, cleared each run); never a lower-case cache keyed as it goes."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        value = getattr(node, "value", None)
        mutable = isinstance(value, ast.Dict | ast.List | ast.Set) or (
            isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in MUTABLE
        )
        for target in targets:
            if mutable and isinstance(target, ast.Name) and target.id != "__all__":
                assert target.id.isupper(), f"{module}: module-level {target.id} is a mutable cache"


def test_a_plain_value_error_is_not_an_expected_error() -> None:
    from flows.logs import EXPECTED_ERRORS

    assert not any(issubclass(ValueError, kind) for kind in EXPECTED_ERRORS)
    assert not issubclass(ValueError, EXPECTED_ERRORS)


def test_no_code_matches_prefects_log_text() -> None:
    for module in MODULES:
        text = MODULES[module].read_text(encoding="utf-8")
        assert "Finished in state" not in text, module
        assert not re.search(r"re\.compile\(.*Finished", text), module
