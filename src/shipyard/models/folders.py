"""Model sources on disk: one model directory, or a folder of numbered versions.

``./churn-model`` (holding ``shipyard-model.json``) is one version named by the
first 12 hex digits of its manifest's BLAKE3: saving a new model in its place
is a new version, which the reloader picks up.

``./churn`` holding ``1/``, ``2/``… (each a model directory) and optionally
``aliases.json`` (``{"production": "1", "staging": "2"}``) is a versions
folder: ``./churn`` serves the highest version, ``./churn@staging`` the alias.
Moving an alias is rewriting ``aliases.json`` (atomically: write a temporary
file and rename it). This layout needs no registry and makes hot reload and
canary traffic easy to try and to test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import blake3

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.model_manifest import MANIFEST_FILE
from shipyard.models.source import (
    ModelSource,
    ResolvedModel,
    register_source_scheme,
    served_name_from_path,
)

__all__ = ["ALIASES_FILE", "ModelDirectorySource", "VersionsFolderSource", "open_folder"]

ALIASES_FILE = "aliases.json"
_VERSION = re.compile(r"^[0-9]{1,12}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ModelDirectorySource:
    """One model directory; its version is the digest of its manifest."""

    path: Path
    name: str
    reference: str

    def current_version(self) -> str:
        manifest = self.path / MANIFEST_FILE
        try:
            data = manifest.read_bytes()
        except OSError:
            raise NotFound(
                f"{self.path} is not a Shipyard model directory (no {MANIFEST_FILE})",
                hint="save models with shipyard.models.save_model",
            ) from None
        return blake3.blake3(data).hexdigest()[:12]

    def resolve(self, version: str | None = None) -> ResolvedModel:
        current = self.current_version()
        if version is not None and version != current:
            raise NotFound(
                f"model {self.name!r} has no version {version!r} (it serves {current})",
                hint="a model directory holds one version",
            )
        return ResolvedModel(self.name, current, self.path, self.reference)

    def alias(self, alias: str) -> ModelSource:
        raise InvalidInput(
            f"{self.reference} is a single model directory: it has no alias {alias!r}",
            hint="use a versions folder (1/, 2/, aliases.json) or a registry model",
        )


@dataclass(frozen=True)
class VersionsFolderSource:
    """Numbered model directories with ``aliases.json``; ``alias_name`` None is the newest."""

    root: Path
    name: str
    alias_name: str | None = None

    @property
    def reference(self) -> str:
        return f"{self.root}@{self.alias_name}" if self.alias_name else str(self.root)

    def versions(self) -> list[str]:
        try:
            entries = list(self.root.iterdir())
        except OSError as exc:
            raise NotFound(f"cannot list {self.root}: {exc.strerror}") from None
        found = [
            e.name for e in entries if _VERSION.match(e.name) and (e / MANIFEST_FILE).is_file()
        ]
        return sorted(found, key=int)

    def aliases(self) -> dict[str, str]:
        path = self.root / ALIASES_FILE
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int) for k, v in data.items()
        ):
            raise InvalidInput(f"{path} must map alias names to version numbers")
        return {k: str(v) for k, v in data.items()}

    def current_version(self) -> str:
        if self.alias_name is None:
            versions = self.versions()
            if not versions:
                raise NotFound(f"{self.root} holds no model versions (1/, 2/, …)")
            return versions[-1]
        aliases = self.aliases()
        if self.alias_name not in aliases:
            raise NotFound(
                f"model {self.name!r} has no alias {self.alias_name!r}",
                hint=f"add it to {self.root / ALIASES_FILE}",
            )
        return aliases[self.alias_name]

    def resolve(self, version: str | None = None) -> ResolvedModel:
        version = self.current_version() if version is None else version
        if not _VERSION.match(version):
            raise NotFound(f"model {self.name!r} has no version {version!r}")
        path = self.root / version
        if not (path / MANIFEST_FILE).is_file():
            raise NotFound(f"model {self.name!r} has no version {version!r}")
        return ResolvedModel(self.name, version, path, self.reference)

    def alias(self, alias: str) -> ModelSource:
        if not _ALIAS.match(alias):
            raise InvalidInput(f"{alias!r} is not an alias name")
        return VersionsFolderSource(self.root, self.name, alias)


def open_folder(reference: str, name: str | None) -> ModelSource:
    """A source for a folder reference (``./churn``, ``./churn@production``)."""
    text, alias = reference, None
    head, sep, tail = reference.rpartition("@")
    if sep and _ALIAS.match(tail) and not Path(reference).exists():
        text, alias = head, tail
    path = Path(text).expanduser()
    if not path.is_dir():
        raise NotFound(
            f"no model at {reference}",
            hint="give a model directory saved with shipyard.models.save_model",
        )
    path = path.resolve()
    served = name or served_name_from_path(path)
    if (path / MANIFEST_FILE).is_file():
        if alias is not None:
            raise InvalidInput(f"{text} is a single model directory: it has no alias {alias!r}")
        return ModelDirectorySource(path, served, reference)
    source = VersionsFolderSource(path, served, alias)
    if not source.versions():
        raise NotFound(
            f"{path} is neither a model directory nor a folder of versions (1/, 2/, …)",
            hint="save models with shipyard.models.save_model",
        )
    return source


register_source_scheme("", open_folder)
