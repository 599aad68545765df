"""The tracking service: start, log to, end, resume and delete runs (reads: :mod:`.reads`).

Every method takes the :class:`Principal` asking and checks its role in the
run's project (contributor to write, viewer to read). Each write is one
transaction through ``Database.write()``: a batch of metrics, params and tags
lands whole or not at all. Lifecycle changes (start, end, resume, killed,
delete) are audited in the same transaction; metric and param values are data,
not audited one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.core.settings import CostSettings
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import ensure_project
from shipyard.store.upsert import insert_ignoring_conflicts
from shipyard.tracking import queries, upkeep
from shipyard.tracking.artifact_records import check_artifacts, write_artifacts
from shipyard.tracking.cost import estimate_cost
from shipyard.tracking.entities import (
    ArtifactRecord,
    GitState,
    LogBatch,
    Resources,
    Run,
    RunSpec,
    RunStatus,
    Writer,
)
from shipyard.tracking.limits import (
    check_experiment_name,
    check_key,
    check_run_name,
    check_value,
)
from shipyard.tracking.reads import RunReader
from shipyard.tracking.tables import (
    EnvironmentRow,
    ExperimentRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from shipyard.tracking.visibility import no_such_run, require_on_run
from shipyard.tracking.writes import check_writable, write_batch

__all__ = ["TrackingService", "Writer"]

_runs = cast(Table, RunRow.__table__)
_INSERT_RUN = insert(_runs)
_INSERT_TAGS = insert(cast(Table, TagRow.__table__))
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
        self._experiments: dict[tuple[str, str], str] = {}
        self._environments: set[str] = set()
        self._projects: set[str] = set()

    # -- lifecycle -----------------------------------------------------------

    def _remember(
        self, project: str, experiment: str, experiment_id: str, env_digest: str | None
    ) -> None:
        self._projects.add(project)
        self._experiments[(project, experiment)] = experiment_id
        if env_digest:
            self._environments.add(env_digest)

    def create_run(self, principal: Principal, project: str, spec: RunSpec) -> Run:
        """Start a run in ``spec.experiment`` (created if new); returns it, status running.

        Raises :class:`InvalidInput` for bad names or tags, :class:`NotFound` for an
        unknown parent run, :class:`PermissionDenied` without the contributor role.
        """
        principal.require(Role.CONTRIBUTOR, project, "start runs")
        check_experiment_name(spec.experiment)
        check_run_name(spec.name)
        tags = {check_key(k, "tag"): check_value(k, v, "tag") for k, v in spec.tags.items()}
        run_id, now = new_id(), utcnow()
        git = spec.git or GitState()
        env_digest = spec.environment.get("digest") if spec.environment else None
        for attempt in self.db.write_attempts():
            with attempt as session:
                if project not in self._projects:
                    ensure_project(session, principal, project)
                    session.flush()  # keep the audit log in order with the core inserts below
                experiment_id = self._experiment_id(session, principal, project, spec.experiment)
                if spec.environment and env_digest not in self._environments:
                    insert_ignoring_conflicts(
                        session,
                        EnvironmentRow.__table__,  # type: ignore[arg-type]
                        [
                            {
                                "digest": env_digest,
                                "python": spec.environment["python"][:100],
                                "platform": spec.environment["platform"][:200],
                                "packages": spec.environment["packages"],
                                "created_at": now,
                            }
                        ],
                        ["digest"],
                    )
                if spec.parent_id is not None:
                    parent = session.scalar(
                        select(RunRow.project).where(RunRow.id == spec.parent_id)
                    )
                    if parent is None or not principal.has(Role.VIEWER, parent):
                        raise NotFound(f"no parent run with id {spec.parent_id!r}")
                    if parent != project:
                        raise InvalidInput("a nested run must be in the same project as its parent")
                conn = session.connection()
                conn.execute(
                    _INSERT_RUN,
                    {
                        "id": run_id,
                        "project": project,
                        "experiment_id": experiment_id,
                        "name": spec.name,
                        "status": RunStatus.RUNNING.value,
                        "parent_id": spec.parent_id,
                        "created_by": principal.name,
                        "start_time": now,
                        "end_time": None,
                        "heartbeat_at": now,
                        "host": spec.host,
                        "pid": spec.pid,
                        "command": spec.command,
                        "exit_code": None,
                        "git_commit": git.commit,
                        "git_branch": git.branch,
                        "git_dirty": git.dirty,
                        "git_diff_digest": git.diff_digest,
                        "environment": env_digest,
                        "wall_seconds": 0.0,
                        "cpu_seconds": 0.0,
                        "gpu_seconds": 0.0,
                        "peak_rss_bytes": 0,
                        "cost": 0.0,
                    },
                )
                if tags:
                    conn.execute(
                        _INSERT_TAGS,
                        [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
                    )
                audit.insert_event(
                    session,
                    principal,
                    "run.start",
                    f"run:{run_id}",
                    project=project,
                    detail={"experiment": spec.experiment, "name": spec.name},
                )
        # Only what committed goes into the caches: another thread of this worker
        # must never name a row that a rolled-back transaction took with it (on the
        # server the request's transaction commits after this method returns).
        self.db.after_commit(partial(self._remember, project, spec.experiment, experiment_id,
                                     env_digest))  # fmt: skip
        return Run(
            id=run_id,
            project=project,
            experiment=spec.experiment,
            name=spec.name,
            status=RunStatus.RUNNING,
            start_time=now,
            end_time=None,
            created_by=principal.name,
            parent_id=spec.parent_id,
            host=spec.host,
            pid=spec.pid,
            command=spec.command,
            git=git,
            tags=dict(sorted(tags.items())),
        )

    def _experiment_id(
        self, session: Session, principal: Principal, project: str, name: str
    ) -> str:
        cached = self._experiments.get((project, name))
        if cached is not None:
            return cached
        query = select(ExperimentRow.id).where(
            ExperimentRow.project == project, ExperimentRow.name == name
        )
        found = session.scalar(query)
        if found is None:
            created = insert_ignoring_conflicts(
                session,
                ExperimentRow.__table__,  # type: ignore[arg-type]
                [
                    {
                        "id": new_id(),
                        "project": project,
                        "name": name,
                        "description": "",
                        "created_at": utcnow(),
                        "created_by": principal.name,
                    }
                ],
                ["project", "name"],
            )
            found = session.scalar(query)
            assert found is not None
            if created:  # not when a concurrent writer created it first
                audit.insert_event(
                    session, principal, "experiment.create", f"experiment:{name}", project=project
                )
        return found  # cached by the caller once its transaction commits

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
        usage = self._usage(resources)
        values = {"rid": run_id, "status": status.value, "now": utcnow(), "exit_code": exit_code}
        with self.db.write() as session:
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
