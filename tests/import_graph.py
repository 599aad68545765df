"""Shipyard's import graph, read from the source (nothing is imported).

Used by tests/test_architecture.py and by ``scripts/architecture``, which writes
the package table in docs/architecture.md from it, so the doc cannot drift.

Three graphs: *load-time* edges are imports that run when a module is imported
(module level, outside ``if TYPE_CHECKING:``); *run-time* edges add the imports
inside functions (what a module may import at all while running); *all* edges
add the type-checking blocks too (what it may name).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "shipyard"


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    load_time: dict[str, set[str]] = field(default_factory=dict)
    runtime: dict[str, set[str]] = field(default_factory=dict)
    every: dict[str, set[str]] = field(default_factory=dict)


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


Found = tuple[str, bool, bool]
"""(imported module, runs at load time, runs at all)"""


def _imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[Found]:
    """Every import statement, with when it runs."""

    def visit(nodes: list[ast.stmt], load: bool, runs: bool) -> Iterator[Found]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, load, runs
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, module, is_package)
                yield base, load, runs
                for alias in node.names:
                    yield f"{base}.{alias.name}", load, runs
            elif isinstance(node, ast.If):
                typing_only = _is_type_checking(node)
                yield from visit(node.body, load and not typing_only, runs and not typing_only)
                yield from visit(node.orelse, load, runs)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(node.body, False, runs)
            elif isinstance(node, ast.ClassDef):
                yield from visit(node.body, load, runs)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    yield from visit(block, load, runs)
                for handler in node.handlers:
                    yield from visit(handler.body, load, runs)
            elif isinstance(node, ast.With):
                yield from visit(node.body, load, runs)

    yield from visit(tree.body, True, True)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    base = ".".join(parts[:keep])
    return f"{base}.{node.module}" if node.module else base


@functools.cache
def read_graph(src: Path = SRC) -> Graph:
    """The graph of every module under ``src`` (read once per process; do not mutate it)."""
    graph = Graph()
    files = sorted((src / ROOT).rglob("*.py"))
    graph.modules = {module_name(path, src) for path in files}
    for path in files:
        name = module_name(path, src)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        load: set[str] = set()
        runtime: set[str] = set()
        every: set[str] = set()
        for target, at_load, at_all in _imports(tree, name, path.name == "__init__.py"):
            resolved = _known(target, graph.modules)
            if resolved is None or resolved == name:
                continue
            every.add(resolved)
            if at_all:
                runtime.add(resolved)
            if at_load:
                load.add(resolved)
        graph.load_time[name], graph.runtime[name], graph.every[name] = load, runtime, every
    return graph


def _known(target: str, modules: set[str]) -> str | None:
    """The Shipyard module ``target`` names (``from pkg import name`` names pkg)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def package_of(module: str) -> str:
    """``shipyard.registry.gates.checks`` → ``registry``; top-level modules are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_edges(graph: Graph, edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, targets in edges.items():
        source = package_of(module)
        out.setdefault(source, set())
        out[source] |= {package_of(t) for t in targets if package_of(t) != source}
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found
