"""The house's rules, read from the source: layers import only downward, no import cycles, stages
and flows reach the warehouse only through its handle, the command line holds no SQL."""

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
    "tasks": {"tasks", "segmentation", "schemas", "warehouse"},
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
