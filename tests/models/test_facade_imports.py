"""The model format stands apart: nothing under shipyard/models imports the registry or
serving (the facade reaches registered models through ``ctx.registry``)."""

from __future__ import annotations

import ast
from pathlib import Path

import shipyard.models

FORBIDDEN = ("shipyard.registry", "shipyard.serving")


def _runtime_imports(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []  # names for annotations only: no import at run time
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_no_module_of_the_model_format_imports_the_registry_or_serving() -> None:
    root = Path(shipyard.models.__file__).parent
    offenders = [
        f"{path.relative_to(root)}: {name}"
        for path in sorted(root.rglob("*.py"))
        for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []
