"""HTTP routes of live monitoring: what the monitors found, for viewers of a project.

Monitors run where the inference log is (``shipyard monitor schedule`` on the
serving side, with direct access to the stores); their results land in the
shared metadata store, and the team server shows them to remote clients
(``shipyard monitor status`` in remote mode) and as gauges on ``/metrics``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from shipyard.context import Context
from shipyard.server.fields import ProjectName
from shipyard.server.security import request_context

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])
Ctx = Annotated[Context, Depends(request_context)]


@router.get("/projects/{project}/monitors", summary="The newest result of every monitor")
def monitor_status(project: Annotated[ProjectName, Path()], ctx: Ctx) -> dict[str, Any]:
    from shipyard.monitoring.live.results_store import project_status

    results = project_status(ctx.db, ctx.principal, project)
    return {"monitors": [r.to_dict() for r in results]}
