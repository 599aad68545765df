"""Which rows of which tables make up one project, in the order they can be inserted.

One :class:`TableSpec` per table that holds project data: how its rows are
tied to the project (a ``project`` column, or a column naming a row of a
parent table that has one), which of its columns reference other rows of the
archive (checked on import, so a hostile archive cannot attach rows to
another project), which key the target assigns afresh (auto-incremented
sequence numbers, unique across projects), and which columns name objects.

Not project data, hence not moved: users, memberships and API tokens (the
target's people are its own), ``pipeline_schedules`` (the acting scheduler's
heartbeat, rewritten on its next pass), idempotency keys, login throttling,
and ``object_grants`` (rebuilt on import from the objects the archive holds).
The audit log travels apart (see :mod:`shipyard.projects_io.importing`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, Table, select, tuple_
from sqlalchemy.orm import Session

from shipyard.store.schema import metadata

__all__ = ["SPECS", "TableSpec", "page_rows", "scope_query", "table_of"]

PAGE = 1000


@dataclass(frozen=True)
class TableSpec:
    name: str
    owner: str | None = None
    """Column holding the project's name."""
    link: tuple[str, str, str] | None = None
    """``(column, parent table, parent column)``: the row belongs to the project when
    its column equals the parent column of a parent row that does."""
    refs: dict[str, str] = field(default_factory=dict)
    """Columns naming the ``id`` of a row of another table of the archive."""
    fresh: str | None = None
    """Auto-incremented key the target assigns (kept in order, not in value)."""
    shared: bool = False
    """Rows shared between projects, named by content (inserted only if absent)."""
    objects: tuple[str, ...] = ()
    """Columns holding an object's digest."""

    @property
    def has_ids(self) -> bool:
        """Rows carry their own ``id``, which must not exist in the target yet."""
        return not self.shared and "id" in table_of(self.name).c


SPECS: tuple[TableSpec, ...] = (
    TableSpec("projects", owner="name"),
    TableSpec("environments", link=("digest", "runs", "environment"), shared=True),
    TableSpec("experiments", owner="project"),
    TableSpec("runs", owner="project", refs={"experiment_id": "experiments"}),
    TableSpec("run_params", link=("run_id", "runs", "id"), refs={"run_id": "runs"}),
    TableSpec("run_tags", link=("run_id", "runs", "id"), refs={"run_id": "runs"}),
    TableSpec(
        "run_metric_chunks", link=("run_id", "runs", "id"), refs={"run_id": "runs"}, fresh="seq"
    ),
    TableSpec("run_latest_metrics", link=("run_id", "runs", "id"), refs={"run_id": "runs"}),
    TableSpec("run_inputs", link=("run_id", "runs", "id"), refs={"run_id": "runs"}, fresh="seq"),
    TableSpec(
        "run_artifacts", link=("run_id", "runs", "id"), refs={"run_id": "runs"}, objects=("digest",)
    ),
    TableSpec("datasets", owner="project"),
    TableSpec(
        "dataset_versions",
        link=("dataset_id", "datasets", "id"),
        refs={"dataset_id": "datasets"},
        objects=("digest", "profile_digest"),
    ),
    TableSpec("registered_models", owner="project"),
    TableSpec(
        "model_versions",
        link=("model_id", "registered_models", "id"),
        refs={"model_id": "registered_models"},
    ),
    TableSpec(
        "model_aliases",
        link=("model_id", "registered_models", "id"),
        refs={"model_id": "registered_models"},
    ),
    TableSpec(
        "model_alias_events",
        link=("model_id", "registered_models", "id"),
        refs={"model_id": "registered_models"},
        fresh="seq",
    ),
    TableSpec(
        "model_approvals",
        link=("model_id", "registered_models", "id"),
        refs={"model_id": "registered_models"},
    ),
    TableSpec(
        "model_evaluations",
        link=("model_id", "registered_models", "id"),
        refs={"model_id": "registered_models"},
        fresh="seq",
    ),
    TableSpec("monitor_results", owner="project", objects=("report_digest",)),
    TableSpec("inference_log_batches", owner="project", objects=("digest",)),
    TableSpec("pipeline_triggers", owner="project"),
)
"""Every table of project data, parents before children."""

SPEC_OF = {spec.name: spec for spec in SPECS}


def table_of(name: str) -> Table:
    return metadata.tables[name]


def scope_query(spec: TableSpec, project: str) -> Select[Any]:
    """Every row of ``spec``'s table that belongs to ``project``."""
    table = table_of(spec.name)
    query = select(table)
    if spec.owner is not None:
        return query.where(table.c[spec.owner] == project)
    assert spec.link is not None, spec.name
    column, parent_name, parent_column = spec.link
    parent = table_of(parent_name)
    owned = select(parent.c[parent_column]).where(parent.c.project == project)
    return query.where(table.c[column].in_(owned))


def page_rows(session: Session, spec: TableSpec, project: str) -> Iterator[tuple[Any, ...]]:
    """The project's rows of one table in primary-key order, :data:`PAGE` at a time."""
    table = table_of(spec.name)
    key = list(table.primary_key.columns)
    positions = [list(table.columns).index(c) for c in key]
    last: tuple[Any, ...] | None = None
    while True:
        query = scope_query(spec, project).order_by(*key).limit(PAGE)
        if last is not None:
            query = query.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
        rows = session.execute(query).all()
        yield from (tuple(row) for row in rows)
        if len(rows) < PAGE:
            return
        last = tuple(rows[-1][i] for i in positions)
