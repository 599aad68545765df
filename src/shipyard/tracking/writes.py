"""Writing a batch of logged values: the statements of the logging hot path.

Statements are built once and executed with parameter lists (executemany), so a
flush costs a few round trips whatever it holds: one for params, one for tags,
one for the packed metric chunks, one for the latest values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, or_, select, update

from shipyard.core.errors import Conflict
from shipyard.core.principal import Principal, Role
from shipyard.store.base import utcnow
from shipyard.tracking.entities import LogBatch, MetricRow, ParamRow, RunStatus, Writer
from shipyard.tracking.limits import is_finite_number
from shipyard.tracking.metric_chunks import FORMAT, pack
from shipyard.tracking.tables import LatestMetricRow, MetricChunkRow, RunRow, TagRow
from shipyard.tracking.tables import ParamRow as ParamTable
from shipyard.tracking.visibility import no_such_run

__all__ = ["check_writable", "write_batch"]

_runs = cast(Table, RunRow.__table__)
_params = cast(Table, ParamTable.__table__)
_tags = cast(Table, TagRow.__table__)
_chunks = cast(Table, MetricChunkRow.__table__)
_latest = cast(Table, LatestMetricRow.__table__)

_INSERT_CHUNKS = insert(_chunks)
_RUN_STATES = select(_runs.c.id, _runs.c.project, _runs.c.status, _runs.c.host, _runs.c.pid).where(
    _runs.c.id.in_(bindparam("ids", expanding=True))
)
_STORED_PARAMS = select(_params.c.run_id, _params.c.key, _params.c.value).where(
    _params.c.run_id.in_(bindparam("ids", expanding=True)),
    _params.c.key.in_(bindparam("keys", expanding=True)),
)
_REVIVE = (
    update(_runs)
    .where(_runs.c.id == bindparam("rid"))
    .values(status=RunStatus.RUNNING.value, end_time=None, heartbeat_at=bindparam("now"))
)


def check_writable(
    conn: Connection, principal: Principal, ids: set[str], writer: Writer | None
) -> dict[str, str]:
    """Check the runs exist, may be written by ``principal`` and are running.

    A run marked killed whose recorded process is ``writer`` is revived (it was
    only paused). Returns run id → project. Raises :class:`NotFound` (also for
    runs of projects ``principal`` may not read), :class:`PermissionDenied` or
    :class:`Conflict`.
    """
    rows = conn.execute(_RUN_STATES, {"ids": list(ids)}).all()
    seen = {r.id for r in rows if principal.has(Role.VIEWER, r.project)}
    if len(seen) != len(ids):
        raise no_such_run(sorted(ids - seen)[0])
    for row in rows:
        principal.require(Role.CONTRIBUTOR, row.project, "log to runs")
        if row.status == RunStatus.RUNNING.value:
            continue
        if (
            writer is not None
            and row.status == RunStatus.KILLED.value
            and (row.host, row.pid) == (writer.host, writer.pid)
        ):
            conn.execute(_REVIVE, {"rid": row.id, "now": utcnow()})
            continue
        raise Conflict(
            f"run {row.id} has ended ({row.status}); nothing was logged",
            hint="resume it with shipyard.start_run(run_id=...) to log more",
        )
    return {row.id: row.project for row in rows}


def write_batch(conn: Connection, batch: LogBatch) -> None:
    """Write params, tags and metrics of ``batch`` (runs already checked)."""
    if batch.params:
        _write_params(conn, batch.params)
    if batch.tags:
        rows = {(r, k): v for r, k, v in batch.tags}  # the last value of a key wins
        conn.execute(
            _upsert(conn, "tags"),
            [{"run_id": r, "key": k, "value": v} for (r, k), v in rows.items()],
        )
    if batch.metrics:
        _write_metrics(conn, batch.metrics)


def _write_params(conn: Connection, params: Sequence[ParamRow]) -> None:
    wanted: dict[tuple[str, str], str] = {}
    for run_id, key, value in params:
        previous = wanted.setdefault((run_id, key), value)
        if previous != value:
            raise param_conflict(run_id, key, previous, value)
    rows = [
        {"run_id": r, "key": k, "value": v, "value_num": is_finite_number(v)}
        for (r, k), v in wanted.items()
    ]
    inserted = conn.execute(_upsert(conn, "params"), rows).rowcount
    if inserted == len(rows):
        return
    # Some keys were logged before: the same values are fine, others are a conflict.
    stored = conn.execute(
        _STORED_PARAMS,
        {"ids": list({r for r, _ in wanted}), "keys": list({k for _, k in wanted})},
    ).all()
    for run_id, key, value in stored:
        new = wanted.get((run_id, key))
        if new is not None and new != value:
            raise param_conflict(run_id, key, value, new)


def param_conflict(run_id: str, key: str, old: str, new: str) -> Conflict:
    return Conflict(
        f"param {key!r} of run {run_id} is {old[:40]!r}; it cannot change to {new[:40]!r}",
        hint="params are fixed once logged: start a new run, or log changing values as metrics",
    )


def _write_metrics(conn: Connection, metrics: Sequence[MetricRow]) -> None:
    series: dict[tuple[str, str], tuple[list[int], list[int], list[float]]] = {}
    for run_id, key, value, step, stamp in metrics:
        found = series.get((run_id, key))
        if found is None:
            found = series[(run_id, key)] = ([], [], [])
        found[0].append(step)
        found[1].append(stamp)
        found[2].append(value)
    chunks = []
    latest = []
    for (run_id, key), (steps, stamps, values) in series.items():
        chunk = pack(steps, stamps, values)
        chunks.append(
            {
                "run_id": run_id,
                "key": key,
                "format": FORMAT,
                "count": chunk.count,
                "min_step": chunk.min_step,
                "max_step": chunk.max_step,
                "steps": chunk.steps,
                "timestamps": chunk.timestamps,
                "values": chunk.values,
            }
        )
        # The latest value: highest step, then newest time, then last logged.
        best = max(range(len(steps)), key=lambda i: (steps[i], stamps[i], i))
        value = values[best]
        latest.append(
            {
                "run_id": run_id,
                "key": key,
                "step": steps[best],
                "timestamp_ms": stamps[best],
                "value": None if math.isnan(value) else value,
            }
        )
    conn.execute(_INSERT_CHUNKS, chunks)
    conn.execute(_upsert(conn, "latest"), latest)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(conn: Connection, which: str) -> Any:
    """The cached INSERT … ON CONFLICT statement for params, tags or latest metrics."""
    dialect = conn.dialect.name
    stmt = _UPSERTS.get((dialect, which))
    if stmt is not None:
        return stmt
    # Imported when used: each dialect's module costs tens of milliseconds at start-up.
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite as module
    else:
        from sqlalchemy.dialects import postgresql as module  # type: ignore[no-redef]
    if which == "params":
        stmt = module.insert(_params).on_conflict_do_nothing(index_elements=["run_id", "key"])
        # Its row count decides whether stored values need checking (SQLAlchemy 2.1
        # keeps an INSERT's count only when asked).
        stmt = stmt.execution_options(preserve_rowcount=True)
    elif which == "tags":
        base = module.insert(_tags)
        stmt = base.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": base.excluded.value}
        )
    else:
        base = module.insert(_latest)
        new = base.excluded
        stmt = base.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={"step": new.step, "timestamp_ms": new.timestamp_ms, "value": new.value},
            where=or_(
                new.step > _latest.c.step,
                (new.step == _latest.c.step) & (new.timestamp_ms >= _latest.c.timestamp_ms),
            ),
        )
    _UPSERTS[(dialect, which)] = stmt
    return stmt
