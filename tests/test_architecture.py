"""The package structure docs/architecture.md promises, checked on the source.

The seam: only ``shipyard/context.py`` picks the in-process or the HTTP side of a
domain; nothing else asks which side it got. The model format
(``shipyard.models``) is apart from the registry and from serving, which do
not import each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_graph import SRC, cycles, module_name, package_edges, read_graph

PACKAGE = SRC / "shipyard"
ROOT = SRC.parent
CHOOSER = PACKAGE / "context.py"

# Each domain's two implementations (in-process, over HTTP). Code outside the
# context never dispatches on which one it holds.
# (The object store's own storage backends, filesystem or S3, are not a seam side.)
IMPLEMENTATIONS = {
    ("shipyard.objects.store", "ObjectStore"),
    ("shipyard.objects.http_store", "HttpObjectStore"),
    ("shipyard.data.records_lite", "LiteRecords"),
    ("shipyard.data.records_sql", "SqlRecords"),
    ("shipyard.data.records_http", "HttpRecords"),
    ("shipyard.tracking.local_backend", "LocalBackend"),
    ("shipyard.tracking.remote_backend", "RemoteTrackingBackend"),
    ("shipyard.registry.service", "RegistryService"),
    ("shipyard.registry.local", "LocalRegistry"),
    ("shipyard.registry.remote", "RemoteRegistry"),
    ("shipyard.registry.aliases", "AliasService"),
    ("shipyard.registry.local", "LocalAliases"),
    ("shipyard.registry.remote", "RemoteAliases"),
    ("shipyard.auth.service", "AuthService"),
    ("shipyard.auth.local", "LocalAuth"),
    ("shipyard.auth.remote", "RemoteAuth"),
    ("shipyard.monitoring.live.local", "LocalMonitors"),
    ("shipyard.monitoring.live.remote", "RemoteMonitors"),
    ("shipyard.projects_io.importing", "LocalImports"),
    ("shipyard.projects_io.remote", "RemoteImports"),
}


def _trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"


def test_only_the_context_asks_which_side_it_is_on() -> None:
    askers = [
        _where(path, node)
        for path, tree in _trees()
        if path != CHOOSER
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "is_remote"
    ]
    assert askers == [], "put the choice on the domain's interface, picked in context.py"


def _names(node: ast.expr) -> set[str]:
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Name | ast.Attribute)
    }


def _implementations_in(path: Path, tree: ast.Module) -> set[str]:
    """The implementation classes this file can name: imported, or its own."""
    here = module_name(path)
    names = {name for module, name in IMPLEMENTATIONS if module == here}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {
                alias.asname or alias.name
                for alias in node.names
                if (node.module, alias.name) in IMPLEMENTATIONS
            }
    return names


def test_nothing_dispatches_on_an_implementation_class() -> None:
    dispatch = [
        _where(path, node)
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"isinstance", "issubclass"}
        and len(node.args) == 2
        and _names(node.args[1]) & _implementations_in(path, tree)
    ]
    assert dispatch == [], "call an operation of the interface instead"


def test_the_model_format_imports_neither_the_registry_nor_serving() -> None:
    """At run time (the facade names the registry's ``ModelVersion`` in a type hint)."""
    graph = read_graph()
    apart = ("shipyard.registry", "shipyard.serving")
    offenders = {
        module: sorted(t for t in targets if t.startswith(apart))
        for module, targets in graph.runtime.items()
        if module == "shipyard.models" or module.startswith("shipyard.models.")
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_serving_and_the_registry_do_not_import_each_other() -> None:
    graph = read_graph()
    edges = package_edges(graph, graph.every)
    assert "models" in edges["serving"]
    assert "models" in edges["registry"]
    assert "registry" not in edges["serving"]
    assert "serving" not in edges["registry"]


def test_no_module_imports_itself_back_while_loading() -> None:
    assert cycles(read_graph().load_time) == []


def test_the_graph_sees_every_kind_of_import() -> None:
    """The checks above are only as good as the reader: it must see imports inside
    functions, under TYPE_CHECKING and relative ones."""
    graph = read_graph()
    context = graph.runtime["shipyard.context"]
    assert "shipyard.registry.local" in context  # inside a property
    assert "shipyard.registry.local" not in graph.load_time["shipyard.context"]
    assert "shipyard.registry.api" in graph.every["shipyard.context"]  # a type hint
    assert "shipyard.registry.api" not in context
    assert "shipyard.core.errors" in graph.load_time["shipyard.context"]


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX script")
def test_the_documented_package_imports_are_the_real_ones() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "architecture"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_signature_names_both_sides_of_a_seam() -> None:
    """``ObjectStore | HttpObjectStore`` and the like: callers take the interface instead."""
    names = {name for _, name in IMPLEMENTATIONS}
    unions = [
        _where(path, node)
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.BitOr)
        and len(_names(node) & names) >= 2
    ]
    assert unions == [], "type it with the domain's interface"
