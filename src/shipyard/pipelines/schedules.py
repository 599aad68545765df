"""What the scheduler will start, and when: published on each pass, read by the UI and API.

The acting scheduler (:mod:`shipyard.pipelines.scheduler`) is the only process
that knows the effective cron of each pipeline (the config's, else the one in
the pipeline's own definition, which only importing it reveals), so it writes
one ``pipeline_schedules`` row per configured pipeline on every pass: the cron,
what it watches, the next tick, and its own heartbeat. Readers never import
pipeline code; they see what the scheduler saw, and when it last looked.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from shipyard.core.errors import ShipyardError
from shipyard.pipelines.tables import PipelineScheduleRow, PipelineTriggerRow

if TYPE_CHECKING:
    from pathlib import Path

    from shipyard.context import Context
    from shipyard.core.pipeline_config import PipelineConfig

__all__ = ["Plan", "effective_schedule", "next_tick", "publish", "schedule_states"]

RECENT = 10
"""Triggers shown per pipeline: the newest claims, whatever their state."""


@dataclass(frozen=True)
class Plan:
    """One configured pipeline as the scheduler sees it on a pass."""

    config: PipelineConfig
    schedule: str | None
    problem: str | None
    next_tick: datetime | None


def effective_schedule(
    config: PipelineConfig, cwd: Path | None = None
) -> tuple[str | None, str | None]:
    """``(cron, problem)``: the config's cron, else the pipeline's own; why none, if broken."""
    from croniter import croniter

    schedule = config.schedule
    if schedule is None:
        from shipyard.pipelines.loading import load_pipeline

        try:
            schedule = load_pipeline(config.pipeline, cwd).schedule
        except ShipyardError as error:
            return None, error.one_line()
    if schedule is not None and not croniter.is_valid(schedule):
        return None, f"schedule {schedule!r} is not a valid cron expression"
    return schedule, None


def next_tick(schedule: str, after: datetime) -> datetime:
    from croniter import croniter

    tick: datetime = croniter(schedule, after.astimezone(UTC)).get_next(datetime)
    return tick.astimezone(UTC)


def publish(ctx: Context, plans: list[Plan], *, now: datetime, interval_s: float | None) -> None:
    """Replace the project's schedule rows with this pass's view, in one transaction."""
    from shipyard.store.upsert import upsert

    me = f"{socket.gethostname()}:{os.getpid()}"[:200]
    rows = [
        {
            "project": ctx.project,
            "pipeline": plan.config.name,
            "reference": plan.config.pipeline,
            "schedule": plan.schedule,
            "problem": plan.problem[:500] if plan.problem else None,
            "catch_up": plan.config.catch_up,
            "watches": {
                "datasets": list(plan.config.on_dataset),
                "monitors": list(plan.config.on_monitor),
                "aliases": list(plan.config.on_alias),
            },
            "next_tick": plan.next_tick,
            "checked_at": now,
            "interval_s": interval_s,
            "scheduler": me,
        }
        for plan in plans
    ]
    table = PipelineScheduleRow
    names = [plan.config.name for plan in plans]
    with ctx.db.write() as session:
        # A pipeline taken out of the config is no longer scheduled: forget it.
        session.execute(
            delete(table).where(table.project == ctx.project, table.pipeline.not_in(names))
        )
        update = [k for k in rows[0] if k not in ("project", "pipeline")] if rows else []
        upsert(session, table.__table__, rows, ["project", "pipeline"], update)  # type: ignore[arg-type]


def schedule_states(ctx: Context) -> list[dict[str, Any]]:
    """Every scheduled pipeline of ``ctx.project`` with its newest triggers, by name."""
    schedules = PipelineScheduleRow
    triggers = PipelineTriggerRow
    out: list[dict[str, Any]] = []
    with ctx.db.read() as session:
        rows = session.scalars(
            select(schedules).where(schedules.project == ctx.project).order_by(schedules.pipeline)
        ).all()
        for row in rows:
            recent = session.scalars(
                select(triggers)
                .where(triggers.project == ctx.project, triggers.pipeline == row.pipeline)
                .order_by(triggers.seq.desc())
                .limit(RECENT)
            ).all()
            out.append(_state(row, recent))
    return out


def _state(row: PipelineScheduleRow, recent: Any) -> dict[str, Any]:
    return {
        "pipeline": row.pipeline,
        "reference": row.reference,
        "schedule": row.schedule,
        "problem": row.problem,
        "catch_up": row.catch_up,
        "watches": row.watches,
        "next_tick": _iso(row.next_tick),
        "checked_at": _iso(row.checked_at),
        "interval_s": row.interval_s,
        "scheduler": row.scheduler,
        "triggers": [
            {
                "source": t.source,
                "point": t.point,
                "state": t.state,
                "reason": t.reason,
                "run_id": t.run_id,
                "at": _iso(t.created_at),
            }
            for t in recent
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()
