"""``shipyard status``: what a workspace holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from shipyard.context import Context
from shipyard.core.errors import ShipyardError
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
    object_store: str | None = None
    objects: dict[str, object] | None = None
    """Usage of a local object store (records, packs, bytes, encrypted), or an ``error``."""

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
            "object_store": self.object_store,
            "objects": self.objects,
        }


def collect_status(ctx: Context) -> WorkspaceStatus:
    """Summarise the workspace; raises if the metadata store cannot be used."""
    db = ctx.db
    with db.read() as session:
        projects = [p.name for p in list_projects(session)]
        events = audit.list_events(session, limit=1)
        counts = {"audit events": audit.count_events(session)}
    last = (events[0].time, events[0].action, events[0].principal) if events else None
    store, objects = _object_usage(ctx)
    return WorkspaceStatus(
        workspace=ctx.settings.workspace,
        project=ctx.project,
        metadata_store=redact_uri(ctx.metadata_uri),
        schema_revision=current_revision(db),
        projects=projects,
        counts=counts,
        last_event=last,
        object_store=store,
        objects=objects,
    )


def _object_usage(ctx: Context) -> tuple[str | None, dict[str, object] | None]:
    """Counts of a local store (one folder walk); remote stores are not listed (costly)."""
    configured = ctx.settings.objects.path
    if configured.startswith("s3://"):
        return configured, None
    if ctx.settings.workspace is None:
        return None, None
    try:
        store = ctx.objects
        usage = store.usage()
    except ShipyardError as exc:
        return str(ctx.objects_dir), {"error": exc.one_line()}
    return store.url, {"encrypted": store.encrypted, **usage.to_dict()}
