"""``POST /api/v1/project-imports``: a project archive imported by the team server (admins).

The client (:mod:`shipyard.projects_io.remote`) pushes the archive's objects to
the project first, through the object routes (which check each against its
digest and grant it to the project), then sends the archive without them. The
body is streamed to a scratch file (never held in memory; the server's body
limit applies) and imported exactly as ``shipyard import`` does on the server's
own stores, with every check, in one transaction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from shipyard.auth.access import require_admin
from shipyard.context import Context
from shipyard.projects_io.importing import import_project
from shipyard.server.security import request_context

__all__ = ["ImportOut", "router"]

router = APIRouter(tags=["projects"])
Ctx = Annotated[Context, Depends(request_context)]
_TAR = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ImportOut(BaseModel):
    project: str
    archive: str
    already_imported: bool
    rows: int
    objects_stored: int
    objects_present: int
    audit_entries: int


@router.post(
    "/project-imports",
    response_model=ImportOut,
    openapi_extra=_TAR,
    summary="Import a project archive whose objects were pushed to the project (admins)",
)
async def import_archive(request: Request, ctx: Ctx) -> dict[str, Any]:
    require_admin(ctx.principal, "import a project")
    with tempfile.TemporaryDirectory(prefix="shipyard-import-") as tmp:
        path = Path(tmp) / "archive.tar"
        with path.open("wb") as scratch:
            async for piece in request.stream():
                await run_in_threadpool(scratch.write, piece)  # the loop serves others meanwhile
        summary = await run_in_threadpool(import_project, ctx.db, ctx.objects, path, ctx.principal)
    return summary.to_dict()
