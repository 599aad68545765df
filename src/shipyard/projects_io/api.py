"""The seam of project imports: into this store, or through a team server.

:attr:`shipyard.context.Context.project_imports` picks the side:
:class:`~shipyard.projects_io.importing.LocalImports` writes the database and
object store it holds; :class:`~shipyard.projects_io.remote.RemoteImports`
sends the archive to a server, which imports it on its own stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shipyard.core.digest import Digest
from shipyard.objects.progress import NO_PROGRESS, Progress

__all__ = ["ImportSummary", "ProjectImports"]


@dataclass(frozen=True)
class ImportSummary:
    project: str
    archive_id: Digest
    """The BLAKE3 of the archive's manifest (what ``export`` printed)."""
    rows: int
    objects_stored: int
    objects_present: int
    audit_entries: int
    already: bool = False
    """The archive had been imported before: nothing was done."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "archive": self.archive_id.hex,
            "already_imported": self.already,
            "rows": self.rows,
            "objects_stored": self.objects_stored,
            "objects_present": self.objects_present,
            "audit_entries": self.audit_entries,
        }


class ProjectImports(Protocol):
    def import_archive(
        self, path: Path, *, expect: Digest | None = None, progress: Progress = NO_PROGRESS
    ) -> ImportSummary:
        """Import the archive at ``path``, checked whole first; raises
        :class:`~shipyard.projects_io.archive.BadArchive` (damaged, forged or hostile),
        :class:`~shipyard.core.errors.Conflict` (the target holds some of it already)."""
        ...
