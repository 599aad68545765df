"""HTTP routes of live monitoring: results for viewers, runs for contributors.

Monitors run where the inference log is: on the serving side with direct
access to the stores, or here for a remote client (``shipyard monitor run``
and ``schedule`` with ``SHIPYARD_URI=https://…``). A remote run sends the
monitor's table without files or actions (:mod:`.wire`): the reference as a
profile and the suite as text; the server never reads a path or runs a
command a client names. The client then reports what its webhooks and
command did, and the server audits it, naming the result; viewers read those
alerts back (``…/alerts``) and a result's HTML report (``…/report``, sandboxed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, StrictBool, StrictStr

from shipyard.context import Context
from shipyard.core.errors import ConfigError, InvalidInput
from shipyard.core.ids import ID_PATTERN
from shipyard.core.monitors import MonitorConfig, parse_monitor
from shipyard.monitoring.live.alerts import alerts
from shipyard.monitoring.live.report_page import REPORT_HEADERS, report_html
from shipyard.monitoring.live.results_store import finite, project_status
from shipyard.monitoring.live.runner import GivenInputs
from shipyard.monitoring.live.service import Targets, evaluate, record_outcomes
from shipyard.monitoring.live.wire import CLIENT_ONLY_KEYS
from shipyard.server.fields import I64, WHOLE, ProjectName, Text
from shipyard.server.security import request_context

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[ProjectName, Path()]
MonitorName = Annotated[StrictStr, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
AnId = Annotated[StrictStr, Field(pattern=ID_PATTERN.pattern)]
SUITE_MAX = 1_000_000


class SentReference(BaseModel):
    label: Annotated[Text, Field(max_length=4096)]
    profile: dict[str, Any] = Field(description="A profile document (`shipyard data profile`).")


class MonitorRunIn(BaseModel):
    config: dict[str, Any] = Field(
        description="The [monitors.NAME] table without reference, suite, webhooks, "
        "on_breach, trigger_timeout, html, json, interval or cron."
    )
    reference: SentReference | None = None
    suite: Annotated[Text, Field(max_length=SUITE_MAX)] | None = None
    save: StrictBool = True
    act: StrictBool = True
    webhooks: StrictBool = Field(default=False, description="The client has webhooks to post.")
    trigger: StrictBool = Field(default=False, description="The client has an on_breach command.")
    min_sample: Annotated[int, Field(strict=True, ge=0, le=10**9)] | None = None
    interval_s: Annotated[float, Field(ge=0, le=10**9)] | None = None
    now: datetime | None = None


class WebhookIn(BaseModel):
    webhook: Annotated[Text, Field(max_length=300, description="The host, never the URL.")]
    ok: StrictBool
    status: Annotated[int, Field(strict=True, ge=100, le=599), WHOLE] | None = None
    attempts: Annotated[int, Field(strict=True, ge=0, le=100), WHOLE] = 1
    error: Annotated[Text, Field(max_length=2000)] | None = None


class TriggeredRunIn(BaseModel):
    id: AnId
    name: Annotated[Text, Field(max_length=500)] = ""
    pipeline: Annotated[Text, Field(max_length=500)] | None = None


class TriggerIn(BaseModel):
    command: list[Annotated[Text, Field(max_length=4096)]] = Field(max_length=200)
    exit_code: I64 | None = None
    seconds: Annotated[float, Field(ge=0, le=10**9)] = 0.0
    timed_out: StrictBool = False
    error: Annotated[Text, Field(max_length=2000)] | None = None
    output: Annotated[Text, Field(max_length=5000)] = ""
    runs: list[TriggeredRunIn] = Field(default_factory=list, max_length=50,
                                       description="Runs the command started.")  # fmt: skip


class ActionsIn(BaseModel):
    event: Literal["breach", "resolved"]
    breaches: list[Annotated[Text, Field(max_length=100)]] = Field(max_length=50)
    webhooks: list[WebhookIn] = Field(max_length=100)
    problems: list[Annotated[Text, Field(max_length=2000)]] = Field(max_length=100)
    trigger: TriggerIn | None = None
    result: AnId | None = Field(default=None, description="The stored result that acted.")


@router.get("/projects/{project}/monitors", summary="The newest result of every monitor")
def monitor_status(project: Project, ctx: Ctx) -> dict[str, Any]:
    results = project_status(ctx.db, ctx.principal, project)
    return {"monitors": [r.to_dict() for r in results]}


@router.get("/projects/{project}/monitors/{name}/history",
            summary="A monitor's stored results with their gauges (drift per feature, "
                    "performance), oldest first")  # fmt: skip
def monitor_history(
    project: Project,
    name: MonitorName,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    from shipyard.core.principal import Role
    from shipyard.monitoring.live.results_store import history

    ctx.principal.require(Role.VIEWER, project, "read monitor results")
    results = history(ctx.for_project(project), name, limit=limit)
    return {"results": [r.to_dict() | {"gauges": finite(r.gauges)} for r in results]}


@router.get("/projects/{project}/monitors/{name}/alerts",
            summary="A monitor's webhook posts and triggered commands with the runs they "
                    "started, newest first (viewers)")  # fmt: skip
def monitor_alerts(
    project: Project,
    name: MonitorName,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    found = alerts(ctx.for_project(project), name, limit=limit)
    return {"alerts": [finite(a.to_dict()) for a in found]}


@router.get("/projects/{project}/monitors/{name}/report",
            summary="A result's HTML report (the newest without `result`), sandboxed: "
                    "it runs no script (viewers)",
            response_class=Response,
            responses={200: {"content": {"text/html": {}}}})  # fmt: skip
def monitor_report(
    project: Project,
    name: MonitorName,
    ctx: Ctx,
    result: Annotated[str | None, Query(pattern=ID_PATTERN.pattern)] = None,
    download: bool = False,
) -> Response:
    stored, page = report_html(ctx.for_project(project), name, result)
    filename = f"monitor-{name}-{stored.window_end:%Y%m%dT%H%M}.html"
    disposition = "attachment" if download else "inline"
    headers = {**REPORT_HEADERS, "Content-Disposition": f'{disposition}; filename="{filename}"'}
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


@router.post("/projects/{project}/monitors/{name}/runs", status_code=201,
             summary="Run a monitor over this server's inference log (contributors; "
                     "a dry run that stores and tells nothing: viewers)")  # fmt: skip
def run_monitor(
    project: Project, name: MonitorName, body: MonitorRunIn, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.profiling.profile import Profile
    from shipyard.validate.suite import parse_suite

    here = ctx.for_project(project)
    config = _config(name, body.config)
    reference = body.reference
    try:
        given = GivenInputs(
            reference.label if reference else None,
            Profile.from_dict(reference.profile) if reference else None,
            parse_suite(body.suite, "the sent suite") if body.suite is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"the sent reference profile cannot be read: {exc}") from None
    except ConfigError as exc:
        raise InvalidInput(exc.message, hint=exc.hint) from None
    run = evaluate(
        here, config, now=body.now, interval_s=body.interval_s, act=body.act, save=body.save,
        min_sample=body.min_sample, given=given, targets=Targets(body.webhooks, body.trigger),
    )  # fmt: skip
    return {
        "result": finite(run.result.to_dict()),
        "stored": run.stored.to_dict() if run.stored is not None else None,
        "event": run.event,
    }


@router.post("/projects/{project}/monitors/{name}/actions", status_code=204,
             summary="Record what a client's webhooks and command did (contributors)")  # fmt: skip
def record_actions(project: Project, name: MonitorName, body: ActionsIn, ctx: Ctx) -> None:
    trigger = body.trigger.model_dump() if body.trigger is not None else None
    record_outcomes(ctx.for_project(project), name, body.event, list(body.breaches),
                    [w.model_dump() for w in body.webhooks], list(body.problems), trigger,
                    result=body.result)  # fmt: skip


def _config(name: str, table: dict[str, Any]) -> MonitorConfig:
    kept = sorted(CLIENT_ONLY_KEYS & set(table))
    if kept:
        raise InvalidInput(
            f"a sent monitor table may not hold {', '.join(kept)}",
            hint="the reference and suite travel resolved; actions stay on the client",
        )
    try:
        return parse_monitor(name, table, "the request")
    except ConfigError as exc:
        raise InvalidInput(exc.message, hint=exc.hint) from None
