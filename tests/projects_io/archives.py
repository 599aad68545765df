"""Archives made in tests without a source store: the smallest valid one, of a new project."""

from __future__ import annotations

import io
import json

from shipyard.core.digest import new_hasher
from shipyard.core.ids import new_id
from shipyard.projects_io.archive import ArchiveWriter
from shipyard.projects_io.manifest import MANIFEST, first_line, manifest_line
from shipyard.projects_io.rows import RowCodec
from shipyard.projects_io.scope import SPECS, table_of
from shipyard.store.base import utcnow
from shipyard.store.tables import AuditEventRow


def minimal_archive(project: str) -> bytes:
    """An archive of ``project`` holding its row and nothing else."""
    header = {
        "format": "shipyard-project",
        "version": 1,
        "project": project,
        "exported_at": utcnow().isoformat(),
        "source_audit_head": None,
        "tables": {s.name: [c.name for c in table_of(s.name).columns] for s in SPECS},
        "audit_columns": [c.name for c in AuditEventRow.__table__.columns],
    }
    row = RowCodec(table_of("projects")).encode((new_id(), project, "", utcnow(), "root"))
    content = {"header.json": json.dumps(header).encode()}
    content |= {f"tables/{s.name}.jsonl": b"" for s in SPECS}
    content["tables/projects.jsonl"] = row
    content["audit.jsonl"] = b""
    out = io.BytesIO()
    writer = ArchiveWriter(out)
    manifest = first_line()
    for name, data in content.items():
        writer.add(name, len(data), [data])
        manifest += manifest_line(name, len(data), new_hasher().update(data).hexdigest())
    writer.add(MANIFEST, len(manifest), [manifest])
    writer.close()
    return out.getvalue()
