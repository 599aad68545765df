"""Starting a run: its row, its tags, its experiment and environment, in one transaction.

:class:`RunStarter` is what :meth:`TrackingService.create_run
<shipyard.tracking.service.TrackingService.create_run>` calls. It keeps, per
process, the projects, experiment ids and environment digests known to exist,
so that starting the hundredth run of an experiment is two inserts and an
audit entry; only what committed goes into those caches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import ensure_project
from shipyard.store.upsert import insert_ignoring_conflicts
from shipyard.tracking.entities import GitState, Run, RunSpec, RunStatus
from shipyard.tracking.limits import check_experiment_name, check_key, check_run_name, check_value
from shipyard.tracking.tables import EnvironmentRow, ExperimentRow, RunRow, TagRow

__all__ = ["RunStarter"]

_INSERT_RUN = insert(cast(Table, RunRow.__table__))
_INSERT_TAGS = insert(cast(Table, TagRow.__table__))


class RunStarter:
    """Starts runs in one metadata store, caching the ids of what surely exists."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._experiments: dict[tuple[str, str], str] = {}
        self._environments: set[str] = set()
        self._projects: set[str] = set()

    def start(self, principal: Principal, project: str, spec: RunSpec) -> Run:
        """Start a run in ``spec.experiment`` (created if new); returns it, status running.

        Raises :class:`InvalidInput` for bad names or tags, :class:`NotFound` for an
        unknown parent run, :class:`PermissionDenied` without the contributor role.
        """
        run_id, now = new_id(), utcnow()
        after: list[Callable[[], None]] = []
        for attempt in self.db.write_attempts():
            with attempt as session:
                after.clear()
                run = self.start_in(session, principal, project, spec, run_id, now, after)
        # Only what committed goes into the caches: another thread of this worker
        # must never name a row that a rolled-back transaction took with it (on the
        # server the request's transaction commits after this method returns).
        for callback in after:
            self.db.after_commit(callback)
        return run

    def start_in(
        self,
        session: Session,
        principal: Principal,
        project: str,
        spec: RunSpec,
        run_id: str,
        now: datetime,
        after: list[Callable[[], None]],
    ) -> Run:
        """:meth:`start` inside the caller's transaction; ``after`` gets what to run
        once it commits."""
        principal.require(Role.CONTRIBUTOR, project, "start runs")
        check_experiment_name(spec.experiment)
        check_run_name(spec.name)
        tags = {check_key(k, "tag"): check_value(k, v, "tag") for k, v in spec.tags.items()}
        git = spec.git or GitState()
        env_digest = spec.environment.get("digest") if spec.environment else None
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
            parent = session.scalar(select(RunRow.project).where(RunRow.id == spec.parent_id))
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
        after.append(partial(self._remember, project, spec.experiment, experiment_id, env_digest))
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

    def _remember(
        self, project: str, experiment: str, experiment_id: str, env_digest: str | None
    ) -> None:
        self._projects.add(project)
        self._experiments[(project, experiment)] = experiment_id
        if env_digest:
            self._environments.add(env_digest)

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
