"""``shipyard status``: what a workspace holds."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from shipyard.context import Context
from shipyard.core.redact import redact_uri
from shipyard.store import audit
from shipyard.store.migrate import current_revision
from shipyard.store.projects import list_projects

__all__ = ["WorkspaceStatus", "collect_status"]


@dataclass(frozen=True)
class WorkspaceStatus:
    workspace: Path | None
    project: str
    metadata_store: str
    schema_revision: str | None
    projects: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    last_event: tuple[datetime, str, str] | None = None
    object_folder: Path | None = None
    object_files: int = 0
    object_bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "workspace": str(self.workspace) if self.workspace else None,
            "project": self.project,
            "metadata_store": self.metadata_store,
            "schema_revision": self.schema_revision,
            "projects": self.projects,
            "counts": self.counts,
            "last_event": None
            if self.last_event is None
            else {
                "time": self.last_event[0].isoformat(),
                "action": self.last_event[1],
                "principal": self.last_event[2],
            },
            "object_folder": str(self.object_folder) if self.object_folder else None,
            "object_files": self.object_files,
            "object_bytes": self.object_bytes,
        }


def collect_status(ctx: Context) -> WorkspaceStatus:
    """Summarise the workspace; raises if the metadata store cannot be used."""
    db = ctx.db
    with db.read() as session:
        projects = [p.name for p in list_projects(session)]
        events = audit.list_events(session, limit=1)
        counts = {"audit events": audit.count_events(session)}
    last = (events[0].time, events[0].action, events[0].principal) if events else None
    folder = ctx.objects_dir if ctx.settings.workspace is not None else None
    files, size = _folder_usage(folder) if folder is not None else (0, 0)
    return WorkspaceStatus(
        workspace=ctx.settings.workspace,
        project=ctx.project,
        metadata_store=redact_uri(ctx.metadata_uri),
        schema_revision=current_revision(db),
        projects=projects,
        counts=counts,
        last_event=last,
        object_folder=folder,
        object_files=files,
        object_bytes=size,
    )


def _folder_usage(folder: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            try:
                size += os.stat(os.path.join(dirpath, name)).st_size
                files += 1
            except FileNotFoundError:
                continue
    return files, size
