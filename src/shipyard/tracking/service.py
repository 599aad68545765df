"""The tracking service: start, log to, end, resume and delete runs.

Reads are in :mod:`.reads`, starting a run in :mod:`.starting`, recording
artifacts in :mod:`.artifact_records`.

Every method takes the :class:`Principal` asking and checks its role in the
run's project (contributor to write, viewer to read). Each write is one
transaction through ``Database.write()``: a batch of metrics, params and tags
lands whole or not at all. Lifecycle changes (start, end, resume, killed,
delete) are audited in the same transaction; metric and param values are data,
not audited one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from shipyard.core.errors import Conflict, InvalidInput
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.core.settings import CostSettings
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.tracking import queries, upkeep
from shipyard.tracking.artifact_records import check_artifacts, write_artifacts
from shipyard.tracking.cost import estimate_cost
from shipyard.tracking.entities import (
    ArtifactRecord,
    LogBatch,
    Resources,
    Run,
    RunEnd,
    RunOutcome,
    RunSpec,
    RunStart,
    RunStatus,
    Writer,
)
from shipyard.tracking.limits import check_batch, check_outcomes
from shipyard.tracking.reads import RunReader
from shipyard.tracking.starting import RunStarter
from shipyard.tracking.tables import RunInputRow, RunRow
from shipyard.tracking.visibility import no_such_run, require_on_run
from shipyard.tracking.writes import check_writable, write_batch

__all__ = ["TrackingService", "Writer"]

_runs = cast(Table, RunRow.__table__)
_END_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("rid"), _runs.c.status == RunStatus.RUNNING.value)
    .values(
        status=bindparam("status"),
        end_time=bindparam("now"),
        heartbeat_at=bindparam("now"),
        exit_code=bindparam("exit_code"),
        wall_seconds=bindparam("wall_seconds"),
        cpu_seconds=bindparam("cpu_seconds"),
        gpu_seconds=bindparam("gpu_seconds"),
        peak_rss_bytes=bindparam("peak_rss_bytes"),
        cost=bindparam("cost"),
    )
    .returning(_runs.c.project)
)


class TrackingService(RunReader):
    """Runs of every project in one metadata store."""

    def __init__(self, db: Database, rates: CostSettings | None = None) -> None:
        self.db = db
        self.rates = rates or CostSettings()
        self._starter = RunStarter(db)

    # -- lifecycle -----------------------------------------------------------

    def create_run(self, principal: Principal, project: str, spec: RunSpec) -> Run:
        """Start a run in ``spec.experiment`` (created if new); returns it, status running.

        Raises :class:`InvalidInput` for bad names or tags, :class:`NotFound` for an
        unknown parent run, :class:`PermissionDenied` without the contributor role.
        """
        return self._starter.start(principal, project, spec)

    def resume_run(self, principal: Principal, run_id: str, writer: Writer) -> Run:
        """Mark an existing run running again (for more logging); returns it as stored."""
        with self.db.write() as session:
            row = self._run_row(session, run_id)
            require_on_run(principal, Role.CONTRIBUTOR, run_id, row.project, "resume runs")
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=RunStatus.RUNNING.value,
                    end_time=None,
                    heartbeat_at=utcnow(),
                    host=writer.host,
                    pid=writer.pid,
                )
            )
            audit.record(
                session,
                principal,
                "run.resume",
                f"run:{run_id}",
                project=row.project,
                detail={"previous_status": row.status},
            )
        with self.db.read() as session:
            return queries.load_runs(session, [run_id])[0]

    def end_run(
        self,
        principal: Principal,
        run_id: str,
        status: RunStatus,
        resources: Resources,
        *,
        exit_code: int | None = None,
        batch: LogBatch | None = None,
        writer: Writer | None = None,
    ) -> None:
        """Write the last ``batch`` and record how the run ended and what it consumed.

        ``resources`` are totals for the run. One transaction: the last values
        and the end land together. Raises :class:`Conflict` if the run has ended
        already, :class:`NotFound` if there is no such run.
        """
        if not status.ended:
            raise InvalidInput("a run ends as finished, failed or killed")
        with self.db.write() as session:
            self._end_in(session, principal, run_id, status, resources, exit_code, batch, writer)

    def _end_in(
        self,
        session: Session,
        principal: Principal,
        run_id: str,
        status: RunStatus,
        resources: Resources,
        exit_code: int | None,
        batch: LogBatch | None,
        writer: Writer | None,
    ) -> None:
        usage = self._usage(resources)
        values = {"rid": run_id, "status": status.value, "now": utcnow(), "exit_code": exit_code}
        conn = session.connection()
        # The common case in one statement: end the run if it is running.
        project = conn.execute(_END_RUN, values | usage).scalar()
        if project is None:  # unknown, ended, or killed while its process lived on
            try:
                check_writable(conn, principal, {run_id}, writer)  # raises, or revives
            except Conflict as exc:
                raise Conflict(
                    f"run {run_id} has already ended; nothing was changed",
                    hint="resume it with shipyard.start_run(run_id=...) to log more",
                ) from exc
            project = conn.execute(_END_RUN, values | usage).scalar_one()
        require_on_run(principal, Role.CONTRIBUTOR, run_id, project, "end runs")
        if batch:
            others = batch.run_ids() - {run_id}
            if others:
                check_writable(conn, principal, others, writer)
            write_batch(conn, batch)
        audit.insert_event(
            session,
            principal,
            "run.end",
            f"run:{run_id}",
            project=project,
            detail={"status": status.value, "cost": usage["cost"]},
        )

    def write_runs(
        self,
        principal: Principal,
        project: str,
        ends: Sequence[RunEnd],
        starts: Sequence[RunStart],
        writer: Writer | None = None,
    ) -> list[Run]:
        """End runs, then start runs (each recorded as over if it has an outcome), in
        one transaction: all or nothing. Returns the started runs, in order.

        Ended runs must be of ``project``. Raises what :meth:`end_run` and
        :meth:`create_run` raise.
        """
        principal.require(Role.CONTRIBUTOR, project, "write runs")
        check_outcomes(ends, starts)
        ids, now = [new_id() for _ in starts], utcnow()
        stamp = int(now.timestamp() * 1000)
        after: list[Callable[[], None]] = []
        for attempt in self.db.write_attempts():
            with attempt as session:
                after.clear()
                self._same_project(session, principal, project, [e.run_id for e in ends])
                for end in ends:
                    self._end_one(session, principal, end.run_id, end.outcome, stamp, writer)
                runs = []
                for run_id, start in zip(ids, starts, strict=True):
                    run = self._starter.start_in(
                        session, principal, project, start.spec, run_id, now, after
                    )
                    if start.outcome is not None:
                        self._end_one(session, principal, run_id, start.outcome, stamp, writer)
                        run = _ended(run, start.outcome, now)
                    runs.append(run)
        for callback in after:
            self.db.after_commit(callback)
        return runs

    def _end_one(
        self,
        session: Session,
        principal: Principal,
        run_id: str,
        outcome: RunOutcome,
        stamp: int,
        writer: Writer | None,
    ) -> None:
        batch = check_batch(outcome.batch(run_id, stamp))
        self._end_in(session, principal, run_id, outcome.status, outcome.resources, None,
                     batch, writer)  # fmt: skip

    @staticmethod
    def _same_project(
        session: Session, principal: Principal, project: str, run_ids: Sequence[str]
    ) -> None:
        if not run_ids:
            return
        found = session.execute(
            select(RunRow.id, RunRow.project).where(
                RunRow.id.in_(run_ids), RunRow.project != project
            )
        ).first()
        if found is None:
            return
        if not principal.has(Role.VIEWER, found[1]):  # as an unknown id: nothing disclosed
            raise no_such_run(found[0])
        raise InvalidInput(f"run {found[0]} is not a run of project {project!r}")

    def heartbeat(self, principal: Principal, usage: dict[str, Resources], writer: Writer) -> None:
        """Note that the runs' process is alive, and what they consumed so far.

        Unknown runs, and runs the principal may not see, are skipped alike.
        """
        if not usage:
            return
        now = utcnow()
        with self.db.write() as session:
            found = session.execute(select(RunRow.id, RunRow.project).where(RunRow.id.in_(usage)))
            seen = {i: p for i, p in found if principal.has(Role.VIEWER, p)}
            for project in set(seen.values()):
                principal.require(Role.CONTRIBUTOR, project, "log to runs")
            for run_id, resources in usage.items():
                if run_id not in seen:
                    continue
                session.execute(
                    update(RunRow)
                    .where(RunRow.id == run_id, self._writable(writer))
                    .values(
                        status=RunStatus.RUNNING.value,
                        end_time=None,
                        heartbeat_at=now,
                        **self._usage(resources),
                    )
                )

    def _usage(self, resources: Resources) -> dict[str, Any]:
        return {
            "wall_seconds": resources.wall_seconds,
            "cpu_seconds": resources.cpu_seconds,
            "gpu_seconds": resources.gpu_seconds,
            "peak_rss_bytes": resources.peak_rss_bytes,
            "cost": self._cost(resources),
        }

    def _cost(self, resources: Resources) -> float:
        return estimate_cost(resources, self.rates)

    @staticmethod
    def _writable(writer: Writer | None) -> Any:
        """Runs one may log to: running ones, and killed ones whose process is the writer."""
        running = RunRow.status == RunStatus.RUNNING.value
        if writer is None:
            return running
        return or_(
            running,
            (RunRow.status == RunStatus.KILLED.value)
            & (RunRow.host == writer.host)
            & (RunRow.pid == writer.pid),
        )

    def _run_row(self, session: Session, run_id: str) -> RunRow:
        row = session.get(RunRow, run_id)
        if row is None:
            raise no_such_run(run_id)
        return row

    # -- logging -------------------------------------------------------------

    def log(self, principal: Principal, batch: LogBatch, writer: Writer | None = None) -> None:
        """Write a batch of metrics, params and tags in one transaction.

        Raises :class:`NotFound` for an unknown run, :class:`Conflict` for a run
        that has ended or a param logged again with another value; on any error
        nothing of the batch is written.
        """
        ids = batch.run_ids()
        if not ids:
            return
        with self.db.write() as session:
            conn = session.connection()
            check_writable(conn, principal, ids, writer)
            write_batch(conn, batch)

    def log_input(
        self, principal: Principal, run_id: str, path: str, size: int, digest: str
    ) -> None:
        """Record that the run read the file ``path`` of ``size`` bytes with BLAKE3 ``digest``."""
        with self.db.write() as session:
            check_writable(session.connection(), principal, {run_id}, None)
            session.execute(
                insert(RunInputRow).values(
                    run_id=run_id, path=path, size=size, digest=digest, logged_at=utcnow()
                )
            )

    def record_artifact(
        self, principal: Principal, run_id: str, path: str, digest: str, size: int
    ) -> None:
        """Record that ``path`` of the run is stored in the object store as ``digest``."""
        self.record_artifacts(principal, run_id, [(path, digest, size)])

    def record_artifacts(
        self, principal: Principal, run_id: str, items: Sequence[tuple[str, str, int]]
    ) -> list[ArtifactRecord]:
        """Record files ``(path, digest, size)`` of the run, all in one transaction.

        Metadata only: the caller has stored the bytes already. A path logged
        again is replaced. Returns the records. Raises :class:`InvalidInput` for
        a path that would leave the run's artifacts (nothing is recorded then).
        Does not apply the object rule: callers on behalf of users go through
        :func:`shipyard.tracking.artifact_records.record_artifacts`.
        """
        return write_artifacts(self.db, principal, run_id, check_artifacts(items))

    # -- upkeep --------------------------------------------------------------

    def delete_runs(self, principal: Principal, run_ids: Sequence[str]) -> int:
        """Delete runs with everything they logged; their children become top-level runs.

        A contributor may delete the runs it started; deleting others' runs needs
        the maintainer role. Returns how many runs were deleted.
        """
        return upkeep.delete_runs(self.db, principal, run_ids)


def _ended(run: Run, outcome: RunOutcome, now: datetime) -> Run:
    tags = dict(sorted({**run.tags, **outcome.tags}.items()))
    return replace(run, status=outcome.status, end_time=now, tags=tags)
