"""A step's cache key: what it runs, on what, with what.

The key digests the step's code (its own source and the source of every
function, class or module of the project it refers to, followed
transitively), its inputs (the digests of upstream outputs and the JSON of
plain arguments), its options that change results, and the environment
(Python and Shipyard versions). Finished step runs are tagged with their key
and outputs, so a hit is one query on the tracking store (embedded or on a
team server) and the stored outputs are reused without running the step.
"""

from __future__ import annotations

import inspect
import json
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import blake3

from shipyard._version import __version__
from shipyard.tracking.entities import LOOKUP_TAG

__all__ = ["KEY_TAG", "code_digest", "step_key"]

KEY_TAG = LOOKUP_TAG  # the tag tracking indexes by value
OUTPUT_TAG = "shipyard.step.output"
_SKIP_ROOTS = tuple(
    Path(p).resolve() for p in {sysconfig.get_path("purelib"), sysconfig.get_path("stdlib")}
)


def step_key(code: str, inputs: Mapping[str, str], options: Mapping[str, Any]) -> str:
    """The cache key of one step call (hex BLAKE3)."""
    document = {
        "code": code,
        "inputs": dict(sorted(inputs.items())),
        "options": options,
        "environment": {"python": sys.version.split()[0], "shipyard": __version__},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return blake3.blake3(text.encode()).hexdigest()


def code_digest(fn: Callable[..., Any], root: Path) -> str:
    """The digest of ``fn``'s source and of the project code it refers to (under ``root``)."""
    hasher = blake3.blake3()
    seen: set[int] = set()
    pending: list[object] = [fn]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        source = _source(item)
        if source is None:
            continue
        hasher.update(f"{_qualified(item)}\n{source}\n".encode())
        pending.extend(_referenced(item, root))
    return hasher.hexdigest()


def _qualified(item: object) -> str:
    module = getattr(item, "__module__", None) or getattr(item, "__name__", "")
    return f"{module}:{getattr(item, '__qualname__', '')}"


def _source(item: object) -> str | None:
    try:
        return (
            _cached_source(item)
            if isinstance(item, types.ModuleType)
            else inspect.getsource(
                item  # type: ignore[arg-type]
            )
        )
    except (OSError, TypeError):
        return None


def _cached_source(module: types.ModuleType) -> str:
    path = getattr(module, "__file__", None)
    if path is None:
        raise TypeError("no file")
    return _file_text(str(path))


@lru_cache(maxsize=256)
def _file_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def _in_project(item: object, root: Path) -> bool:
    module = item if isinstance(item, types.ModuleType) else inspect.getmodule(item)
    path = getattr(module, "__file__", None)
    if path is None:
        return False
    resolved = Path(path).resolve()
    if any(resolved.is_relative_to(skip) for skip in _SKIP_ROOTS):
        return False
    return resolved.is_relative_to(root)


def _referenced(item: object, root: Path) -> Iterable[object]:
    """Project functions, classes and modules that ``item``'s code names."""
    if isinstance(item, types.ModuleType):
        return []  # a whole module's source is in the key already
    fn = getattr(item, "fn", item)  # a Step refers through its function
    code = getattr(fn, "__code__", None)
    names = getattr(fn, "__globals__", {})
    found: list[object] = []
    for name in _names(code) if code is not None else ():
        value = names.get(name)
        value = getattr(value, "fn", value)
        if isinstance(value, types.FunctionType | type | types.ModuleType) and _in_project(
            value, root
        ):
            found.append(value)
    return found


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names
