"""Where served models come from: the narrow seam between serving and model storage.

Serving never reads a registry or a folder layout itself. It asks a
:class:`ModelSource` two things:

* ``resolve(version)`` — the local directory of one version (``None``: the
  version the reference points at now), as a :class:`ResolvedModel`;
* ``current_version()`` — which version the reference points at now. The
  reloader polls this (cheap: no download) and resolves when it changes.

and, for canary and shadow traffic, ``alias(name)`` — the source of another
alias of the same model. A source is opened from the text the user gave to
``shipyard serve`` by :func:`open_source`, which picks an opener by scheme
(``models:/…``) or falls back to a folder on disk. Other packages add schemes
with :func:`register_source_scheme` at import time of a module named by an
entry point in the ``shipyard.model_sources`` group (the registry adds
``models``; serving and the registry never import each other).

Built in (``shipyard.models.folders``):

* a model directory saved by ``shipyard.models.save_model`` — one version,
  named by the digest of its manifest, so replacing the folder is a new version;
* a *versions folder* — numbered model directories ``1/``, ``2/``… with an
  optional ``aliases.json`` (``{"production": "2"}``); ``./churn`` serves the
  highest number, ``./churn@production`` the alias.

Sources are called from worker threads (``asyncio.to_thread``); they may
block on I/O but must be thread-safe.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from shipyard.core.errors import InvalidInput

__all__ = [
    "SOURCE_MODULES",
    "ModelSource",
    "ResolvedModel",
    "SourceOpener",
    "open_source",
    "register_source_scheme",
    "split_served_name",
]

SOURCE_MODULES: tuple[str, ...] = ("shipyard.models.folders",)
"""Modules that register source schemes when imported; installed packages add theirs
through the ``shipyard.model_sources`` entry-point group."""
ENTRY_POINT_GROUP = "shipyard.model_sources"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class ResolvedModel:
    """One version of a served model, available as a local model directory."""

    name: str
    """The name clients use in URLs (``/v2/models/{name}``)."""
    version: str
    """The version that answers (a registry version number, or a content digest)."""
    path: Path
    """A model directory that ``shipyard.models.load_model`` reads."""
    reference: str
    """What was resolved, for logs and metadata (``models:/churn@production``)."""


@runtime_checkable
class ModelSource(Protocol):
    """A reference to a model that may move between versions (see the module docstring)."""

    @property
    def name(self) -> str:
        """The served name."""
        ...

    @property
    def reference(self) -> str:
        """The reference as the user wrote it."""
        ...

    def current_version(self) -> str:
        """The version the reference points at now; :class:`NotFound` if it points nowhere."""
        ...

    def resolve(self, version: str | None = None) -> ResolvedModel:
        """A local directory for ``version`` (``None``: the current one); :class:`NotFound`."""
        ...

    def alias(self, alias: str) -> ModelSource:
        """The source of another alias of the same model (canary, shadow); :class:`InvalidInput`
        if this kind of source has no aliases."""
        ...


SourceOpener = Callable[[str, str | None], ModelSource]
"""``opener(reference, name)`` → a source; ``name`` overrides the served name."""

_OPENERS: dict[str, SourceOpener] = {}
_LOCK = threading.Lock()
_FOLDER_SCHEME = ""


def register_source_scheme(scheme: str, opener: SourceOpener) -> None:
    """Open references ``scheme:…`` with ``opener`` (``""`` is the folder fallback)."""
    with _LOCK:
        _OPENERS[scheme] = opener


def split_served_name(text: str) -> tuple[str | None, str]:
    """``churn=./model-dir`` → ``("churn", "./model-dir")``; plain references keep ``None``."""
    name, sep, rest = text.partition("=")
    if sep and _NAME.match(name) and rest and "/" not in name and ":" not in name:
        return name, rest
    return None, text


def open_source(text: str, *, name: str | None = None) -> ModelSource:
    """The source for what the user wrote (``models:/churn@production``, ``./churn-model``,
    ``churn=./churn-model``); raises :class:`InvalidInput` for an unknown scheme."""
    _import_source_modules()
    given_name, reference = split_served_name(text.strip())
    name = name or given_name
    if name is not None and not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} cannot be a served model name",
            hint="use letters, digits, '.', '_' and '-' (at most 128)",
        )
    scheme, sep, _ = reference.partition(":")
    with _LOCK:
        opener = _OPENERS.get(scheme) if sep and "/" not in scheme else None
        fallback = _OPENERS.get(_FOLDER_SCHEME)
    if opener is None:
        if sep and re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) and len(scheme) > 1:
            known = sorted(s for s in _OPENERS if s)
            raise InvalidInput(
                f"cannot serve {reference!r}: no model source handles '{scheme}:' references",
                hint="serve a model directory, or one of: "
                + (", ".join(f"{s}:" for s in known) or "(no other scheme is installed)"),
            )
        opener = fallback
    if opener is None:  # pragma: no cover - folders register on import
        raise InvalidInput("no model source is installed")
    return opener(reference, name)


def _import_source_modules() -> None:
    from importlib.metadata import entry_points

    modules = list(SOURCE_MODULES)
    modules += [point.value.partition(":")[0] for point in entry_points(group=ENTRY_POINT_GROUP)]
    for module in modules:
        importlib.import_module(module)


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def served_name_from_path(path: Path) -> str:
    """A served name from a folder name (``churn-model`` → ``churn-model``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", path.resolve().name).strip("-.") or "model"
    return cleaned[:128]
