"""``shipyard serve models:/churn@production``: the registry as a serving model source.

Implements :class:`shipyard.models.source.ModelSource` over the registry:
``current_version`` is the one indexed query :func:`alias_version` (cheap to
poll for hot reload), ``resolve`` fetches and verifies the version into the
workspace's model cache. The context is opened once per process from the
current folder and environment, like any other command.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shipyard.context import Context, open_context
from shipyard.core.errors import NotFound
from shipyard.core.model_ref import ModelRef
from shipyard.models.source import ModelSource, ResolvedModel, register_source_scheme

__all__ = ["RegistrySource"]

_LOCK = threading.Lock()


def _context() -> Context:
    """One context per folder and store, shared by every source opened there."""
    return _context_for(Path.cwd(), os.environ.get("SHIPYARD_URI", ""),
                        os.environ.get("SHIPYARD_PROJECT", ""))  # fmt: skip


@lru_cache(maxsize=8)
def _context_for(cwd: Path, _uri: str, _project: str) -> Context:
    return open_context(cwd)


@dataclass(frozen=True)
class RegistrySource:
    """A registered model, pinned to a version or following an alias (``latest`` by default)."""

    ctx: Context
    name: str
    model: str
    alias_name: str | None
    version: int | None

    @property
    def reference(self) -> str:
        if self.version is not None:
            return f"models:/{self.model}/{self.version}"
        return f"models:/{self.model}@{self.alias_name or 'latest'}"

    def current_version(self) -> str:
        if self.version is not None:
            return str(self.version)
        from shipyard.registry import alias_version

        alias = self.alias_name or "latest"
        found = alias_version(self.ctx, self.model, alias)
        if found is None:
            raise NotFound(
                f"alias {alias!r} of model {self.model!r} points at no version",
                hint=f"set it with `shipyard models alias set {self.model} {alias} N`",
            )
        return str(found)

    def resolve(self, version: str | None = None) -> ResolvedModel:
        from shipyard.registry import resolve_model

        number = version or self.current_version()
        with _LOCK:  # one fetch into the model cache at a time
            resolved = resolve_model(self.ctx, f"models:/{self.model}/{number}")
        return ResolvedModel(self.name, str(resolved.version), resolved.directory, self.reference)

    def alias(self, alias: str) -> ModelSource:
        ModelRef.parse(f"models:/{self.model}@{alias}")  # checks the alias's syntax
        return RegistrySource(self.ctx, self.name, self.model, alias, None)


def _open(reference: str, name: str | None) -> ModelSource:
    ref = ModelRef.parse(reference)
    return RegistrySource(_context(), name or ref.name, ref.name, ref.alias, ref.version)


register_source_scheme("models", _open)
