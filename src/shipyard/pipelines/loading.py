"""Find a pipeline from what the user typed, and parse ``--param NAME=VALUE``."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.pipelines.definition import JsonValue, Pipeline

__all__ = ["load_pipeline", "parse_params", "resolve"]


def load_pipeline(reference: str, cwd: Path | None = None) -> Pipeline:
    """``module:name`` (importable from the current folder) or ``path/to/file.py:name``."""
    module_part, sep, attribute = reference.partition(":")
    if not sep or not module_part or not attribute:
        raise InvalidInput(
            f"{reference!r} does not name a pipeline",
            hint="write MODULE:NAME, e.g. pipelines.churn:train (or flows.py:train)",
        )
    folder = str((cwd or Path.cwd()).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = module_part
    if module_part.endswith(".py"):
        module_name = _module_of_file(Path(module_part), Path(folder))
    found = resolve(module_name, attribute)
    if not isinstance(found, Pipeline):
        raise InvalidInput(
            f"{reference} is a {type(found).__name__}, not a pipeline",
            hint="decorate the function with @shipyard.pipeline",
        )
    return found


def resolve(module_name: str, qualname: str) -> Any:
    """``module_name``'s attribute ``qualname`` (dotted), importing the module if needed."""
    module = sys.modules.get(module_name) if module_name == "__main__" else None
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise InvalidInput(f"cannot import {module_name!r}: {error}") from None
    found: Any = module
    for part in qualname.split("."):
        if part == "<locals>":
            raise InvalidInput(
                f"{module_name}:{qualname} is defined inside a function; "
                "worker processes cannot find it",
                hint="define steps and pipelines at the top level of a module",
            )
        found = getattr(found, part, None)
        if found is None:
            raise InvalidInput(f"module {module_name!r} has no {qualname!r}")
    return found


def _module_of_file(path: Path, folder: Path) -> str:
    """A file under the current folder as a dotted module name (workers import it so)."""
    resolved = (folder / path).resolve()
    if not resolved.is_file():
        raise InvalidInput(f"no file {path}")
    try:
        relative = resolved.relative_to(folder).with_suffix("")
    except ValueError:
        raise InvalidInput(
            f"{path} is outside the current folder",
            hint="run from the folder that holds it, so worker processes can import it",
        ) from None
    return ".".join(relative.parts)


def parse_params(pipeline: Pipeline, items: Iterable[str]) -> dict[str, JsonValue]:
    """``["C=0.5", "name=churn"]`` → values, typed like each parameter's default."""
    defaults = pipeline.defaults()
    values: dict[str, JsonValue] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput(f"--param {item!r} is not NAME=VALUE")
        if name not in pipeline.signature.parameters:
            known = ", ".join(pipeline.signature.parameters) or "(none)"
            raise InvalidInput(
                f"pipeline {pipeline.name!r} has no parameter {name!r}",
                hint=f"its parameters: {known}",
            )
        values[name] = _typed(name, text, defaults.get(name))
    return values


def _typed(name: str, text: str, default: object) -> JsonValue:
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise InvalidInput(f"parameter {name}: {text!r} is not true or false")
    if isinstance(default, int | float):
        kind = type(default)
        try:
            return kind(text)
        except ValueError:
            raise InvalidInput(f"parameter {name}: {text!r} is not {_article(kind)}") from None
    if isinstance(default, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _article(kind: type) -> str:
    return "an integer" if kind is int else "a number"
