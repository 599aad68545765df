"""Monitor results in the metadata store (``monitor_results``) and the object store.

:func:`save_result` writes the full report (JSON) as an object, then one row
with the gauges and an audit entry in the same transaction. The Prometheus
collector reads :func:`latest_results`; the HTML page plots
:func:`history`. gc keeps the reports (reference source ``monitor-reports``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.monitoring.tables import MonitorResultRow
from shipyard.store.audit import record

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.monitoring.live.result import MonitorResult
    from shipyard.store.db import Database

__all__ = [
    "StoredResult",
    "all_report_digests",
    "finite",
    "get_result",
    "history",
    "history_point",
    "latest_results",
    "load_report",
    "previous_notified",
    "project_status",
    "save_result",
]


@dataclass(frozen=True)
class StoredResult:
    id: str
    project: str
    monitor: str
    model: str
    window_start: datetime
    window_end: datetime
    status: str
    breaches: list[str]
    rows: int
    labelled_rows: int
    gauges: dict[str, Any]
    report_digest: str | None
    interval_s: float | None
    notified: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "monitor": self.monitor,
            "model": self.model,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "status": self.status,
            "breaches": self.breaches,
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "report_digest": self.report_digest,
            "interval_s": self.interval_s,
            "notified": self.notified,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredResult:
        """Read back :meth:`to_dict` (what the team server answers; no gauges)."""
        return cls(
            str(data["id"]), str(data["project"]), str(data["monitor"]), str(data["model"]),
            datetime.fromisoformat(data["window_start"]),
            datetime.fromisoformat(data["window_end"]), str(data["status"]),
            [str(b) for b in data["breaches"]], int(data["rows"]), int(data["labelled_rows"]),
            {}, data.get("report_digest"), data.get("interval_s"), bool(data["notified"]),
            datetime.fromisoformat(data["created_at"]),
        )  # fmt: skip


def _stored(row: MonitorResultRow) -> StoredResult:
    return StoredResult(
        row.id, row.project, row.monitor, row.model, row.window_start, row.window_end,
        row.status, list(row.breaches.get("kinds", [])), row.rows, row.labelled_rows,
        dict(row.gauges), row.report_digest, row.interval_s, row.notified, row.created_at,
    )  # fmt: skip


def save_result(
    ctx: Context, result: MonitorResult, *, interval_s: float | None, notified: bool
) -> StoredResult:
    """Store the report and its row, audited (``monitor.run``); needs the contributor role."""
    ctx.principal.require(Role.CONTRIBUTOR, ctx.project, "record monitor results")
    document = json.dumps(finite(result.to_dict()), separators=(",", ":"), default=str).encode()
    ref = ctx.objects.put_bytes(document)
    row = MonitorResultRow(
        id=new_id(),
        project=ctx.project,
        monitor=result.monitor,
        model=result.model,
        window_start=result.window_start,
        window_end=result.window_end,
        status=result.status,
        breaches={"kinds": result.breach_kinds, "messages": [b.message for b in result.breaches]},
        rows=result.rows,
        labelled_rows=result.labelled_rows,
        gauges=finite(result.gauges()),
        report_digest=str(ref.digest),
        report_size=len(document),
        interval_s=interval_s,
        notified=notified,
    )
    with ctx.db.write() as session:
        session.add(row)
        session.flush()
        record(
            session,
            ctx.principal,
            "monitor.run",
            f"monitor:{result.monitor}",
            project=ctx.project,
            detail={
                "model": result.model,
                "status": result.status,
                "breaches": result.breach_kinds,
                "rows": result.rows,
                "report": str(ref.digest),
            },
        )
        stored = _stored(row)
    return stored


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (strict JSON, as PostgreSQL wants it)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def latest_results(db: Database, project: str | None = None) -> list[StoredResult]:
    """The newest result of every monitor (of one project, or of all)."""
    row = MonitorResultRow
    newest = select(row.project, row.monitor, func.max(row.id).label("id")).group_by(
        row.project, row.monitor
    )
    if project is not None:
        newest = newest.where(row.project == project)
    ids = newest.subquery()
    query = select(row).join(ids, row.id == ids.c.id).order_by(row.project, row.monitor)
    with db.read() as session:
        return [_stored(r) for r in session.scalars(query)]


def project_status(db: Database, principal: Principal, project: str) -> list[StoredResult]:
    """The newest result of each of ``project``'s monitors, for a viewer of it."""
    principal.require(Role.VIEWER, project, "read monitor results")
    return latest_results(db, project)


def history(
    ctx: Context, monitor: str, *, limit: int = 50, before: str | None = None
) -> list[StoredResult]:
    """A monitor's results, oldest first (at most ``limit``, the newest ones; only those
    older than the result ``before`` when given)."""
    row = MonitorResultRow
    query = (
        select(row)
        .where(row.project == ctx.project, row.monitor == monitor)
        .order_by(row.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(row.id < before)  # ids sort by creation time
    with ctx.db.read() as session:
        return [_stored(r) for r in reversed(session.scalars(query).all())]


def get_result(ctx: Context, monitor: str, result_id: str | None = None) -> StoredResult:
    """The result ``result_id`` of ``monitor`` in ``ctx``'s project, or its newest one;
    raises :class:`NotFound` when the monitor has no such result (or none at all)."""
    row = MonitorResultRow
    query = select(row).where(row.project == ctx.project, row.monitor == monitor)
    if result_id is not None:
        query = query.where(row.id == result_id)
    with ctx.db.read() as session:
        found = session.scalars(query.order_by(row.id.desc()).limit(1)).first()
        if found is None:
            what = f"no result {result_id} of" if result_id else "no stored result of"
            raise NotFound(f"{what} monitor {monitor!r} in project {ctx.project!r}")
        return _stored(found)


def previous_notified(ctx: Context, monitor: str) -> StoredResult | None:
    """The newest result of ``monitor`` that notified."""
    row = MonitorResultRow
    query = (
        select(row)
        .where(row.project == ctx.project, row.monitor == monitor, row.notified.is_(True))
        .order_by(row.id.desc())
        .limit(1)
    )
    with ctx.db.read() as session:
        found = session.scalars(query).first()
        return _stored(found) if found is not None else None


def load_report(ctx: Context, result: StoredResult) -> dict[str, Any]:
    if result.report_digest is None:
        raise NotFound(f"result {result.id} has no stored report")
    data = ctx.objects.read_bytes(Digest.parse(result.report_digest))
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def all_report_digests(ctx: Context) -> Iterator[str]:
    """Every stored report's digest (gc roots)."""
    with ctx.db.read() as session:
        query = select(MonitorResultRow.report_digest).where(
            MonitorResultRow.report_digest.is_not(None)
        )
        for digest in session.scalars(query):
            if digest is not None:
                yield digest


def history_point(stored: StoredResult) -> dict[str, Any]:
    """An earlier result as the report's charts of earlier runs plot it."""
    gauges = stored.gauges
    return {
        "time": stored.window_end.isoformat(),
        "rows": stored.rows,
        "share_drifted": gauges.get("share_drifted"),
        "performance": gauges.get("performance") or {},
        "breaches": stored.breaches,
    }
