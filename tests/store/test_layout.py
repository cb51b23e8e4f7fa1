"""The store's modules import each other without cycles, only at the top of a module, and
nothing in the store imports the demo."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

STORE = Path(__file__).resolve().parents[2] / "budgeting" / "store"
PACKAGE = "budgeting.store"


def _trees() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in STORE.glob("*.py")}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module]
    return []


def test_store_modules_import_only_at_module_level():
    late = [
        f"{name}.py:{node.lineno}"
        for name, tree in _trees().items()
        for top in tree.body
        if not isinstance(top, ast.Import | ast.ImportFrom)
        for node in ast.walk(top)
        if _imported(node)
    ]
    assert late == []


def test_store_module_graph_is_acyclic_and_demo_free():
    graph: dict[str, set[str]] = {}
    for name, tree in _trees().items():
        modules = [module for node in ast.walk(tree) for module in _imported(node)]
        assert not any(module.startswith("budgeting.demo") for module in modules), name
        graph[name] = {
            "__init__" if module == PACKAGE else module.removeprefix(PACKAGE + ".")
            for module in modules
            if module == PACKAGE or module.startswith(PACKAGE + ".")
        }
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {cycle.args[1]}") from None
