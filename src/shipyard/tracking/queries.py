"""Reading runs: search with filter, order and keyset pages; one run in full; histories.

Functions here take an open session and return value objects from
:mod:`shipyard.tracking.entities`; the service checks permissions around them.
A page is two round trips whatever its size: one query picks the page's runs,
then params, latest metrics and tags of all of them come in three ``IN`` queries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.tracking.entities import (
    ArtifactRecord,
    Experiment,
    GitState,
    InputRecord,
    MetricPoint,
    Resources,
    Run,
    RunDetail,
    RunPage,
    RunStatus,
)
from shipyard.tracking.query import OrderKey, parse_filter, parse_order_by
from shipyard.tracking.query.nodes import FieldKind
from shipyard.tracking.search_sql import (
    decode_token,
    encode_token,
    filter_clause,
    fingerprint,
    keyset,
    order_columns,
)
from shipyard.tracking.tables import (
    EnvironmentRow,
    ExperimentRow,
    LatestMetricRow,
    ParamRow,
    RunArtifactRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from shipyard.tracking.visibility import no_such_run

__all__ = [
    "MAX_PAGE",
    "get_run_detail",
    "list_experiments",
    "load_runs",
    "metric_history",
    "resolve_run_id",
    "search_runs",
]

MAX_PAGE = 10_000
_NAN = math.nan


def _number(value: float | None) -> float:
    return _NAN if value is None else value


def search_runs(
    session: Session,
    project: str,
    *,
    experiments: Sequence[str] = (),
    filter: str = "",
    order_by: str = "",
    limit: int = 100,
    page_token: str | None = None,
) -> RunPage:
    """Runs of ``project`` (optionally only of the named experiments) matching ``filter``.

    Raises :class:`QuerySyntaxError` for a malformed filter or ordering,
    :class:`NotFound` for an unknown experiment, :class:`InvalidInput` for a bad
    limit or page token.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE:,}, not {limit}")
    expr = parse_filter(filter)
    keys = parse_order_by(order_by)
    scope = [RunRow.project == project]
    if experiments:
        scope.append(RunRow.experiment_id.in_(_experiment_ids(session, project, experiments)))
    if expr is not None:
        scope.append(filter_clause(expr))
    stamp = fingerprint(project, sorted(experiments), filter, order_by)
    if len(keys) == 1 and keys[0].field.kind is FieldKind.METRIC:
        ids, token = _page_by_metric(session, scope, keys[0], limit, page_token, stamp)
    else:
        ids, token = _page(session, scope, keys, limit, page_token, stamp)
    return RunPage(runs=tuple(load_runs(session, ids)), next_page_token=token)


def _page(
    session: Session,
    scope: list[Any],
    keys: Sequence[OrderKey],
    limit: int,
    page_token: str | None,
    stamp: str,
) -> tuple[list[str], str | None]:
    """Any ordering: filter the runs, join the sort values, sort, cut after the keyset."""
    query, columns = order_columns(select(RunRow.id).where(*scope), keys)
    query = query.add_columns(*(c.column for c in columns[:-1]))
    if page_token:
        query = query.where(keyset(columns, decode_token(page_token, stamp, len(columns))))
    rows = session.execute(query.order_by(*(c.sql() for c in columns)).limit(limit + 1)).all()
    token = None
    if len(rows) > limit:
        last = rows[limit - 1]
        token = encode_token([*last[1:], last[0]], stamp)
    return [r[0] for r in rows[:limit]], token


def _page_by_metric(
    session: Session,
    scope: list[Any],
    key: OrderKey,
    limit: int,
    page_token: str | None,
    stamp: str,
) -> tuple[list[str], str | None]:
    """Ordered by one metric: walk the (key, value) index in order, stop at a full page.

    First the runs that have a value, in value order (no sort, however many runs
    match); then, when those run out, the runs that lack one (or hold NaN), by id.
    Ties and the second part go by id in the direction of the ordering.
    """
    metric = aliased(LatestMetricRow, name="by")
    descending = key.descending
    last_value, last_id = (None, None)
    if page_token:
        last_value, last_id = decode_token(page_token, stamp, 2)
    in_scope = exists().where(RunRow.id == metric.run_id, *scope)
    rows: list[tuple[str, float | None]] = []
    if page_token is None or last_value is not None:
        query = select(metric.run_id, metric.value).where(
            metric.key == key.field.key, metric.value.isnot(None), in_scope
        )
        if last_value is not None:
            beyond = metric.value < last_value if descending else metric.value > last_value
            tie = metric.run_id < last_id if descending else metric.run_id > last_id
            query = query.where(or_(beyond, and_(metric.value == last_value, tie)))
        order = (
            (metric.value.desc(), metric.run_id.desc())
            if descending
            else (
                metric.value.asc(),
                metric.run_id.asc(),
            )
        )
        rows = [(r[0], r[1]) for r in session.execute(query.order_by(*order).limit(limit + 1))]
        last_id = None  # the runs without a value start from the beginning
    if len(rows) <= limit:
        has_value = exists().where(
            LatestMetricRow.run_id == RunRow.id,
            LatestMetricRow.key == key.field.key,
            LatestMetricRow.value.isnot(None),
        )
        lacking = select(RunRow.id).where(*scope, not_(has_value))
        if last_id is not None:
            lacking = lacking.where(RunRow.id < last_id if descending else RunRow.id > last_id)
        order_id = RunRow.id.desc() if descending else RunRow.id.asc()
        rest = session.scalars(lacking.order_by(order_id).limit(limit + 1 - len(rows))).all()
        rows.extend((run_id, None) for run_id in rest)
    token = None
    if len(rows) > limit:
        run_id, value = rows[limit - 1]
        token = encode_token([value, run_id], stamp)
    return [r[0] for r in rows[:limit]], token


def _experiment_ids(session: Session, project: str, names: Sequence[str]) -> list[str]:
    found = dict(
        session.execute(
            select(ExperimentRow.name, ExperimentRow.id).where(
                ExperimentRow.project == project, ExperimentRow.name.in_(names)
            )
        ).all()
    )
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFound(
            f"no experiment named {missing[0]!r} in project {project!r}",
            hint="list experiments with `shipyard experiments ls`",
        )
    return list(found.values())


def load_runs(session: Session, ids: Sequence[str]) -> list[Run]:
    """The runs with these ids, in this order, with params, latest metrics and tags."""
    if not ids:
        return []
    runs = RunRow.__table__.c
    rows = session.execute(
        select(*runs, ExperimentRow.name.label("experiment_name"))
        .join(ExperimentRow, ExperimentRow.id == runs.experiment_id)
        .where(runs.id.in_(ids))
    ).all()
    params: dict[str, dict[str, str]] = defaultdict(dict)
    for run_id, key, value in session.execute(
        select(ParamRow.run_id, ParamRow.key, ParamRow.value).where(ParamRow.run_id.in_(ids))
    ):
        params[run_id][key] = value
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    for run_id, key, value in session.execute(
        select(TagRow.run_id, TagRow.key, TagRow.value).where(TagRow.run_id.in_(ids))
    ):
        tags[run_id][key] = value
    metrics: dict[str, dict[str, MetricPoint]] = defaultdict(dict)
    for run_id, key, number, step, stamp in session.execute(
        select(
            LatestMetricRow.run_id,
            LatestMetricRow.key,
            LatestMetricRow.value,
            LatestMetricRow.step,
            LatestMetricRow.timestamp_ms,
        ).where(LatestMetricRow.run_id.in_(ids))
    ):
        metrics[run_id][key] = MetricPoint(key, _number(number), step, stamp)
    by_id = {
        row.id: _run(row, row.experiment_name, params[row.id], metrics[row.id], tags[row.id])
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def _run(
    row: Any,
    experiment: str,
    params: dict[str, str],
    metrics: dict[str, MetricPoint],
    tags: dict[str, str],
) -> Run:
    return Run(
        id=row.id,
        project=row.project,
        experiment=experiment,
        name=row.name,
        status=RunStatus(row.status),
        start_time=row.start_time,
        end_time=row.end_time,
        created_by=row.created_by,
        parent_id=row.parent_id,
        host=row.host,
        pid=row.pid,
        command=row.command,
        exit_code=row.exit_code,
        resources=Resources(
            wall_seconds=row.wall_seconds,
            cpu_seconds=row.cpu_seconds,
            peak_rss_bytes=row.peak_rss_bytes,
            gpu_seconds=row.gpu_seconds,
        ),
        cost=row.cost,
        git=GitState(row.git_commit, row.git_branch, row.git_dirty, row.git_diff_digest),
        params=dict(sorted(params.items())),
        metrics=dict(sorted(metrics.items())),
        tags=dict(sorted(tags.items())),
    )


def resolve_run_id(session: Session, text: str, projects: Collection[str] | None = None) -> str:
    """The id of the run ``text`` names: a full id or a unique prefix of at least 6 characters.

    Only runs of ``projects`` count (None: every project), so a run the caller
    may not see is unknown to it and never makes a prefix ambiguous.
    """
    text = text.strip().lower()
    query = select(RunRow.id)
    if projects is not None:
        query = query.where(RunRow.project.in_(projects))
    if len(text) == 26:
        if session.scalar(query.where(RunRow.id == text)) is not None:
            return text
    elif len(text) >= 6 and text.isalnum():
        found = session.scalars(query.where(RunRow.id.like(f"{text}%")).limit(2)).all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(
                f"run id prefix {text!r} is ambiguous", hint="give more characters of the id"
            )
    raise no_such_run(text)


def get_run_detail(session: Session, run_id: str) -> RunDetail:
    runs = load_runs(session, [run_id])
    if not runs:
        raise NotFound(f"no run with id {run_id!r}", hint="list runs with `shipyard runs ls`")
    inputs = tuple(
        InputRecord(r.path, r.size, r.digest, r.logged_at)
        for r in session.scalars(
            select(RunInputRow).where(RunInputRow.run_id == run_id).order_by(RunInputRow.seq)
        )
    )
    artifacts = tuple(
        ArtifactRecord(r.path, r.digest, r.size, r.created_at)
        for r in session.scalars(
            select(RunArtifactRow)
            .where(RunArtifactRow.run_id == run_id)
            .order_by(RunArtifactRow.path)
        )
    )
    children = tuple(
        session.scalars(select(RunRow.id).where(RunRow.parent_id == run_id).order_by(RunRow.id))
    )
    environment = None
    digest = session.scalar(select(RunRow.environment).where(RunRow.id == run_id))
    if digest is not None:
        env = session.get(EnvironmentRow, digest)
        if env is not None:
            environment = {
                "digest": env.digest,
                "python": env.python,
                "platform": env.platform,
                "packages": env.packages,
            }
    return RunDetail(runs[0], inputs, artifacts, children, environment)


def metric_history(session: Session, run_id: str, key: str) -> list[MetricPoint]:
    """Every value of one metric of one run, by step, then time, then logging order.

    Read chunk by chunk (:mod:`.history_store`); only the list itself is held whole.
    """
    from shipyard.tracking.history_store import history_points  # numpy on first use

    return history_points(session, run_id, key)


def list_experiments(session: Session, project: str) -> list[Experiment]:
    """Experiments of ``project`` with their run count, total cost and latest start."""
    totals: dict[str, Any] = {
        eid: (count, cost, last)
        for eid, count, cost, last in session.execute(
            select(
                RunRow.experiment_id,
                func.count(RunRow.id),
                func.coalesce(func.sum(RunRow.cost), 0.0),
                func.max(RunRow.start_time),
            )
            .where(RunRow.project == project)
            .group_by(RunRow.experiment_id)
        )
    }
    experiments = []
    for row in session.scalars(
        select(ExperimentRow).where(ExperimentRow.project == project).order_by(ExperimentRow.name)
    ):
        count, cost, last = totals.get(row.id, (0, 0.0, None))
        experiments.append(
            Experiment(row.id, row.project, row.name, row.created_at, count, float(cost), last)
        )
    return experiments
