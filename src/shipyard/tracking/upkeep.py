"""Keeping the run table true: runs whose process vanished, and deleting runs.

See :mod:`shipyard.tracking.liveness` for the rule that decides a run's
process is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnClause, delete, literal_column, select, update

from shipyard.core.principal import Principal, Role
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.tracking.entities import RunStatus
from shipyard.tracking.environment import host_name
from shipyard.tracking.liveness import pid_alive, vanished
from shipyard.tracking.tables import (
    LatestMetricRow,
    MetricChunkRow,
    ParamRow,
    RunArtifactRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from shipyard.tracking.visibility import no_such_run

__all__ = ["delete_runs", "reap"]

# Spelled out (not a bound parameter) so SQLite can use the partial index of running runs.
_RUNNING: ColumnClause[str] = literal_column("'running'")


def reap(
    db: Database,
    principal: Principal,
    project: str,
    *,
    run_ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Mark running runs whose process vanished as killed; returns their ids.

    Needs the contributor role; for anyone else it changes nothing.
    """
    if not principal.has(Role.CONTRIBUTOR, project):
        return []
    now = now or utcnow()
    this_host = host_name()
    query = select(
        RunRow.id, RunRow.host, RunRow.pid, RunRow.heartbeat_at, RunRow.start_time
    ).where(RunRow.project == project, RunRow.status == _RUNNING)
    if run_ids is not None:
        query = query.where(RunRow.id.in_(run_ids))
    with db.read() as session:
        candidates = session.execute(query).all()
    gone = [
        row
        for row in candidates
        if vanished(
            host=row.host,
            pid=row.pid,
            heartbeat_at=row.heartbeat_at,
            started_at=row.start_time,
            now=now,
            this_host=this_host,
            alive=pid_alive(row.pid) if row.host == this_host and row.pid else None,
        )
    ]
    if not gone:
        return []
    killed = []
    with db.write() as session:
        for row in gone:
            done = session.execute(
                update(RunRow)
                .where(
                    RunRow.id == row.id,
                    RunRow.status == RunStatus.RUNNING.value,
                    RunRow.heartbeat_at == row.heartbeat_at,
                )
                .values(status=RunStatus.KILLED.value, end_time=row.heartbeat_at or now)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                killed.append(row.id)
                audit.record(
                    session,
                    principal,
                    "run.killed",
                    f"run:{row.id}",
                    project=project,
                    detail={"reason": "its process vanished", "host": row.host},
                )
    return killed


def delete_runs(db: Database, principal: Principal, run_ids: Sequence[str]) -> int:
    """Delete runs with everything they logged; their children become top-level runs.

    A contributor may delete the runs it started; deleting others' runs needs
    the maintainer role. Returns how many runs were deleted.
    """
    with db.write() as session:
        for run_id in run_ids:
            row = session.get(RunRow, run_id)
            if row is None or not principal.has(Role.VIEWER, row.project):
                raise no_such_run(run_id)  # a run it may not see is unknown to it
            if row.created_by != principal.name:
                principal.require(Role.MAINTAINER, row.project, "delete others' runs")
            principal.require(Role.CONTRIBUTOR, row.project, "delete runs")
            session.execute(update(RunRow).where(RunRow.parent_id == run_id).values(parent_id=None))
            for table in (MetricChunkRow, LatestMetricRow, ParamRow, TagRow, RunInputRow):
                session.execute(delete(table).where(table.run_id == run_id))
            session.execute(delete(RunArtifactRow).where(RunArtifactRow.run_id == run_id))
            session.execute(delete(RunRow).where(RunRow.id == run_id))
            audit.record(
                session,
                principal,
                "run.delete",
                f"run:{run_id}",
                project=row.project,
                detail={"name": row.name},
            )
    return len(run_ids)
