"""Reading runs: one run, several, a filtered page, a metric's history, experiments.

A mixin of :class:`~shipyard.tracking.service.TrackingService`. Every read
checks the viewer role in the run's project (a run of a project the caller
holds no role in is not found, as an unknown id: :mod:`.visibility`), and
reads of a project's runs first mark runs whose process vanished as killed
(:meth:`RunReader.reap`), so nobody sees a dead run as running.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, exc, select
from sqlalchemy.orm import Session, aliased

from shipyard.core.errors import InvalidInput
from shipyard.core.principal import Principal, Role
from shipyard.store.db import Database
from shipyard.tracking import queries, upkeep
from shipyard.tracking.entities import (
    LOOKUP_TAG,
    Experiment,
    MetricPoint,
    Run,
    RunDetail,
    RunPage,
    RunStatus,
)
from shipyard.tracking.tables import ExperimentRow, RunRow, TagRow
from shipyard.tracking.visibility import require_on_run

if TYPE_CHECKING:  # numpy loads with the first history read, not with every command
    from shipyard.tracking.history import Cursor, HistoryPage, MetricSummary

__all__ = ["RunReader"]


class RunReader:
    """The read side of the tracking service (needs ``self.db``)."""

    db: Database

    def reap(
        self,
        principal: Principal,
        project: str,
        *,
        run_ids: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Mark running runs whose process vanished as killed; returns their ids.

        Needs the contributor role; for anyone else it changes nothing.
        """
        return upkeep.reap(self.db, principal, project, run_ids=run_ids, now=now)

    def run_project(self, principal: Principal, run_id: str) -> tuple[str, str]:
        """The full id of the run ``run_id`` names, and its project (viewers)."""
        with self.db.read() as session:
            return _readable_run(session, principal, run_id)

    # -- reading -------------------------------------------------------------

    def resolve(self, principal: Principal, text: str) -> str:
        """The full id of the run named by ``text`` (an id or a unique prefix) among the
        runs ``principal`` may read."""
        with self.db.read() as session:
            return queries.resolve_run_id(session, text, principal.readable_projects())

    def get_run(self, principal: Principal, run_id: str) -> RunDetail:
        """One run in full (params, metrics, tags, inputs, artifacts, children, environment)."""
        run_id, project = self.run_project(principal, run_id)
        self.reap(principal, project, run_ids=[run_id])
        with self.db.read() as session:
            return queries.get_run_detail(session, run_id)

    def get_runs(self, principal: Principal, run_ids: Sequence[str]) -> list[Run]:
        """Several runs (for comparing), in the order asked."""
        visible = principal.readable_projects()
        with self.db.read() as session:
            ids = [queries.resolve_run_id(session, r, visible) for r in run_ids]
            runs = queries.load_runs(session, ids)
        for run in runs:
            require_on_run(principal, Role.VIEWER, run.id, run.project, "read runs")
        return runs

    def search_runs(
        self,
        principal: Principal,
        project: str,
        *,
        experiments: Sequence[str] = (),
        filter: str = "",
        order_by: str = "",
        limit: int = 100,
        page_token: str | None = None,
    ) -> RunPage:
        """A page of runs matching ``filter`` (see :mod:`shipyard.tracking.query`)."""
        principal.require(Role.VIEWER, project, "read runs")
        self.reap(principal, project)
        with self.db.read() as session:
            try:
                return queries.search_runs(
                    session,
                    project,
                    experiments=experiments,
                    filter=filter,
                    order_by=order_by,
                    limit=limit,
                    page_token=page_token,
                )
            except exc.DBAPIError as error:
                if _beyond_limits(error):  # the parser's bounds should make this unreachable
                    raise InvalidInput(
                        "the search is too complex for the metadata store",
                        hint="use fewer conditions, values or sort keys",
                    ) from error
                raise

    def metric_history(self, principal: Principal, run_id: str, key: str) -> list[MetricPoint]:
        """Every value as a list (for long histories see :meth:`iter_metric_history`)."""
        with self.db.read() as session:
            run_id, _project = _readable_run(session, principal, run_id)
            return queries.metric_history(session, run_id, key)

    def iter_metric_history(
        self,
        principal: Principal,
        run_id: str,
        key: str,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
        after: str | None = None,
        descending: bool = False,
        page_size: int | None = None,
    ) -> Generator[HistoryPage, None, None]:
        """Pages of one metric's history (see :mod:`shipyard.tracking.history`), read as
        they are asked for, in one read transaction; bounded memory whatever its length.

        The run is resolved and the arguments checked now, not at the first page.
        """
        from shipyard.tracking.history import PAGE_SIZE, check_request, decode_cursor

        size = PAGE_SIZE if page_size is None else page_size
        check_request(start_step=start_step, end_step=end_step, page_size=size)
        cursor = decode_cursor(after) if after else None
        run_id, _project = self.run_project(principal, run_id)
        return self._pages(run_id, key, size, start_step, end_step, cursor, descending)

    def _pages(
        self,
        run_id: str,
        key: str,
        size: int,
        start_step: int | None,
        end_step: int | None,
        cursor: Cursor | None,
        descending: bool,
    ) -> Generator[HistoryPage, None, None]:
        from shipyard.tracking.history_store import history_columns
        from shipyard.tracking.history_sweep import paginate

        with self.db.read() as session:
            columns = history_columns(
                session, run_id, key, start_step=start_step, end_step=end_step, after=cursor,
                descending=descending,
            )  # fmt: skip
            yield from paginate(columns, key, size)

    def metric_history_page(
        self,
        principal: Principal,
        run_id: str,
        key: str,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
        after: str | None = None,
        descending: bool = False,
        page_size: int | None = None,
    ) -> HistoryPage:
        """One page, in a short read (what the HTTP API serves); empty after the end."""
        from shipyard.tracking.history import HistoryPage

        pages = self.iter_metric_history(
            principal, run_id, key, start_step=start_step, end_step=end_step, after=after,
            descending=descending, page_size=page_size,
        )  # fmt: skip
        try:
            return next(pages, None) or HistoryPage(key)
        finally:
            pages.close()

    def metric_history_summary(
        self,
        principal: Principal,
        run_id: str,
        key: str,
        buckets: int,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricSummary:
        """The history downsampled in the store: ``buckets`` buckets of equal step width,
        each with its count, first, last, min and max (:mod:`shipyard.tracking.downsample`)."""
        from shipyard.tracking.history import check_request
        from shipyard.tracking.history_store import summarize

        check_request(start_step=start_step, end_step=end_step, buckets=buckets)
        with self.db.read() as session:
            run_id, _project = _readable_run(session, principal, run_id)
            return summarize(
                session, run_id, key, buckets, start_step=start_step, end_step=end_step
            )

    def tagged_run(
        self, principal: Principal, project: str, experiment: str, value: str, want: str
    ) -> tuple[str, str | None] | None:
        """The newest finished run of ``experiment`` whose lookup tag
        (:data:`~shipyard.tracking.entities.LOOKUP_TAG`) is ``value``: its id and its
        tag ``want``. One indexed query: a step's cache lookup."""
        principal.require(Role.VIEWER, project, "read runs")
        names = {"project": project, "experiment": experiment, "value": value, "want": want}
        with self.db.read() as session:
            found = session.execute(_TAGGED, names).first()
        return None if found is None else (found[0], found[1])

    def list_experiments(self, principal: Principal, project: str) -> list[Experiment]:
        principal.require(Role.VIEWER, project, "read experiments")
        self.reap(principal, project)
        with self.db.read() as session:
            return queries.list_experiments(session, project)


_looked_up, _wanted = aliased(TagRow), aliased(TagRow)
_TAGGED = (
    select(RunRow.id, _wanted.value)
    .join(_looked_up, _looked_up.run_id == RunRow.id)
    .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
    .outerjoin(_wanted, (_wanted.run_id == RunRow.id) & (_wanted.key == bindparam("want")))
    .where(
        _looked_up.key == LOOKUP_TAG,
        _looked_up.value == bindparam("value"),
        RunRow.status == RunStatus.FINISHED.value,
        RunRow.project == bindparam("project"),
        ExperimentRow.name == bindparam("experiment"),
    )
    .order_by(RunRow.end_time.desc())
    .limit(1)
)

# What SQLite and PostgreSQL (and psycopg) say when a statement is over their limits.
_LIMIT_MESSAGES = re.compile(
    r"expression tree is too large|too many SQL variables|parser stack overflow"
    r"|at most \d+ tables in a join|stack depth limit exceeded|number of parameters must be",
    re.IGNORECASE,
)


def _beyond_limits(error: exc.DBAPIError) -> bool:
    state = getattr(error.orig, "sqlstate", None) or ""
    return state.startswith("54") or bool(_LIMIT_MESSAGES.search(str(error.orig)))


def _readable_run(session: Session, principal: Principal, run_id: str) -> tuple[str, str]:
    """The full id of the run ``run_id`` names and its project, if ``principal`` may read it
    (else :class:`NotFound`, as for an unknown id)."""
    full = queries.resolve_run_id(session, run_id, principal.readable_projects())
    project = session.scalar(select(RunRow.project).where(RunRow.id == full))
    assert project is not None
    require_on_run(principal, Role.VIEWER, full, project, "read runs")
    return full, project
