"""HTTP routes of pipelines: what the scheduler will start, and when (viewers).

Pipeline runs themselves are runs (``/projects/{p}/runs`` with the
``shipyard.pipeline`` tag); this adds what only the scheduler knows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from shipyard.context import Context
from shipyard.core.principal import Role
from shipyard.pipelines.schedules import schedule_states
from shipyard.server.fields import ProjectName
from shipyard.server.security import request_context

__all__ = ["router"]

router = APIRouter(tags=["pipelines"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[ProjectName, Path()]


@router.get("/projects/{project}/pipelines/schedules",
            summary="The pipelines the scheduler starts: cron, what else starts them, "
                    "the next tick, the newest triggers, the last pass")  # fmt: skip
def pipeline_schedules(project: Project, ctx: Ctx) -> dict[str, Any]:
    ctx.principal.require(Role.VIEWER, project, "read pipeline schedules")
    return {
        "now": datetime.now(UTC).isoformat(),
        "schedules": schedule_states(ctx.for_project(project)),
    }
