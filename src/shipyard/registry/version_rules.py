"""What a version to register must satisfy: the one definition of each rule and bound.

Pure (no database, no I/O). :func:`check_draft` is called by
:meth:`~shipyard.registry.service.RegistryService.register_version`, the one
writer of versions; :func:`~shipyard.registry.stored.register_stored` checks
the files and the source first, before it reads anything the client named.
The route schemas import these bounds, so what the server publishes and what
it enforces cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.core.errors import InvalidInput
from shipyard.core.model_manifest import MANIFEST_FILE, FileEntry
from shipyard.core.relpath import check_relpaths
from shipyard.registry.entities import VersionDraft

__all__ = [
    "DESCRIPTION_MAX",
    "MAX_FILES",
    "SOURCES",
    "check_description",
    "check_draft",
    "check_files",
    "check_source",
]

MAX_FILES = 10_000
DESCRIPTION_MAX = 5_000
SOURCES = frozenset({"api", "directory", "mlflow", "run", "sdk"})
"""Where a version came from: the HTTP API, a directory, an MLflow import, a run, the SDK."""


def check_source(source: str) -> None:
    if source not in SOURCES:
        raise InvalidInput(
            f"unknown version source {source!r}", hint=f"use one of {', '.join(sorted(SOURCES))}"
        )


def check_description(description: str) -> None:
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"a version description is limited to {DESCRIPTION_MAX:,} characters")


def check_files(files: Sequence[FileEntry]) -> FileEntry:
    """Check a version's file list; return its manifest's entry.

    Each path is later a file in a model cache: checked, and twice the same one refused.
    """
    if not files or len(files) > MAX_FILES:
        raise InvalidInput(f"a model version holds 1 to {MAX_FILES:,} files")
    check_relpaths([f.path for f in files], what="file of a model version")
    manifest = next((f for f in files if f.path == MANIFEST_FILE), None)
    if manifest is None:
        raise InvalidInput(f"a model version needs its {MANIFEST_FILE} among its files")
    return manifest


def check_draft(draft: VersionDraft) -> None:
    """Every rule of a version to register; :class:`InvalidInput` names the first broken."""
    check_source(draft.source)
    check_description(draft.description)
    manifest = check_files(draft.files)
    if manifest.blake3 != draft.manifest_digest:
        raise InvalidInput(f"a model version needs its {MANIFEST_FILE} among its files")
