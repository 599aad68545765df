"""Where a drift comparison gets its two sides: the resolver seam.

``load_profile(spec)`` turns what a user names into a :class:`Profile`:

1. every registered resolver is asked first, in order; a resolver returns
   ``None`` for specs it does not own, or a :class:`ResolvedData` with a
   stored profile and/or a local file. Dataset versioning plugs in here for
   ``data/train.parquet@v1`` (it returns the version's stored profile, so the
   reference's size never drives the cost);
2. a ``.json`` file is read as a saved profile;
3. anything else is a CSV or Parquet file (or a folder of Parquet files),
   profiled in one streaming pass.

To plug in, call :func:`register_resolver` from a module listed in
``RESOLVER_MODULES`` (imported on first use, so nothing is paid until then).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.profile import Profile
    from shipyard.profiling.reader import Progress

__all__ = [
    "RESOLVER_MODULES",
    "ResolvedData",
    "Resolver",
    "load_profile",
    "register_resolver",
]

#: Modules that register resolvers when imported (dataset versioning adds its own).
RESOLVER_MODULES: list[str] = ["shipyard.data.resolver"]


@dataclass(frozen=True)
class ResolvedData:
    """What a resolver found: a stored profile, a local file to profile, or both."""

    label: str
    profile: Profile | None = None
    path: Path | None = None


Resolver = Callable[[str, "Context | None"], ResolvedData | None]
_resolvers: list[Resolver] = []
_plugins_loaded = False


def register_resolver(resolver: Resolver) -> None:
    """Ask ``resolver`` about every spec before the built-in file handling."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for module in RESOLVER_MODULES:
        importlib.import_module(module)


def load_profile(
    spec: str | Path,
    *,
    context: Context | None = None,
    progress: Progress | None = None,
    sample_rows: int = 1000,
) -> tuple[str, Profile]:
    """The label to show for ``spec`` and its profile (see the module docstring)."""
    from shipyard.profiling.profile import Profile, is_profile_document
    from shipyard.profiling.profiler import profile_file

    _load_plugins()
    text = str(spec)
    for resolver in _resolvers:
        found = resolver(text, context)
        if found is None:
            continue
        if found.profile is not None:
            return found.label, found.profile
        if found.path is not None:
            return found.label, profile_file(found.path, progress, sample_rows=sample_rows)
        raise NotFound(f"{text} resolved to nothing that can be profiled")
    path = Path(text)
    if not path.exists():
        if "@" in path.name:
            name = text.rpartition("@")[0]
            raise InvalidInput(
                f"{text} names a dataset version, but {name} is not a dataset tracked here",
                hint=f"track it with `shipyard data add {name}`, or pass a CSV, Parquet or "
                "profile JSON file",
            )
        raise NotFound(f"no file or folder at {text}")
    if path.suffix.lower() == ".json":
        data = _read_json(path)
        if not is_profile_document(data):
            raise InvalidInput(
                f"{text} is JSON but not a Shipyard profile",
                hint="make one with `shipyard monitor profile`",
            )
        return path.name, Profile.from_dict(data)
    return path.name, profile_file(path, progress, sample_rows=sample_rows)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
