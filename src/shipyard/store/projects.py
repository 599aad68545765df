"""Projects: the unit that owns datasets, runs and models, and that roles apply to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from shipyard.core.errors import NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.core.project_names import PROJECT_NAME, check_project_name
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.tables import ProjectRow
from shipyard.store.upsert import insert_ignoring_conflicts

__all__ = ["PROJECT_NAME", "check_project_name", "ensure_project", "get_project", "list_projects"]


def get_project(session: Session, name: str) -> ProjectRow:
    row = session.scalar(select(ProjectRow).where(ProjectRow.name == name))
    if row is None:
        raise NotFound(f"no project named {name!r}", hint="list projects with `shipyard status`")
    return row


def ensure_project(session: Session, principal: Principal, name: str) -> ProjectRow:
    """Return the project called ``name``, creating it (and an audit entry) if needed.

    Creating it needs the contributor role in it: an admin decides a project
    exists by giving people roles in it, and its first write (a run, a dataset)
    makes its row, whoever the writer is.
    """
    check_project_name(name)
    query = select(ProjectRow).where(ProjectRow.name == name)
    row = session.scalar(query)
    if row is not None:
        return row
    principal.require(Role.CONTRIBUTOR, name, "create a project")
    # Several first writers may race (16 clients starting their first runs): the
    # insert of all but one does nothing, and every one of them reads the row.
    values = {"id": new_id(), "name": name, "created_by": principal.name, "description": "",
              "created_at": utcnow()}  # fmt: skip
    table: Table = ProjectRow.__table__  # type: ignore[assignment]
    if insert_ignoring_conflicts(session, table, [values], ["name"]):
        audit.record(session, principal, "project.create", f"project:{name}", project=name)
    row = session.scalar(query)
    assert row is not None
    return row


def list_projects(session: Session) -> Sequence[ProjectRow]:
    return session.scalars(select(ProjectRow).order_by(ProjectRow.name)).all()
