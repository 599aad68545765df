"""Which objects a project holds on a team server, and the checks built on that.

One object store serves every project, and an object is named by the hash
of its content: knowing a digest must not be enough to read the bytes (a
digest leaks through pointer files, logs and metadata of other projects).
So the server keeps ``object_grants``: project P holds digest D once someone
who may write into P uploaded D's bytes there (the server hashes what it
receives, so an upload proves possession). Reading D through P needs the
viewer role in P *and* the grant; :meth:`ObjectGrants.missing` answers per
project, so whether another project holds some content is never revealed
(dedup across projects saves storage, not transfer).

Services that store objects on the server themselves (rather than through
the object routes) and want them readable over HTTP call :meth:`grant`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from shipyard.core.digest import Digest, ObjectRef
from shipyard.core.errors import NotFound
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.objects.tables import ObjectGrantRow
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import check_project_name
from shipyard.store.upsert import insert_ignoring_conflicts

__all__ = ["ObjectGrants", "grant_rows"]

_QUERY_BATCH = 1000


class ObjectGrants:
    """The ``object_grants`` table, with the role checks of the object routes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def held(
        self, principal: Principal, project: str, digests: Iterable[Digest]
    ) -> dict[Digest, int]:
        """Which of ``digests`` the project holds, with their sizes (viewers)."""
        check_project_name(project)
        principal.require(Role.VIEWER, project, "read objects")
        wanted = {d.hex: d for d in digests}
        found: dict[Digest, int] = {}
        names = list(wanted)
        with self.db.read() as session:
            for start in range(0, len(names), _QUERY_BATCH):
                rows = session.execute(
                    select(ObjectGrantRow.digest, ObjectGrantRow.size).where(
                        ObjectGrantRow.project == project,
                        ObjectGrantRow.digest.in_(names[start : start + _QUERY_BATCH]),
                    )
                )
                for digest, size in rows:
                    found[wanted[digest]] = size
        return found

    def require(self, principal: Principal, project: str, digests: Sequence[Digest]) -> None:
        """Raise :class:`NotFound` naming the first of ``digests`` the project lacks.

        The owner of an embedded workspace (over HTTP only through ``shipyard ui``'s
        one-time key) holds its whole store: what it logged in-process has no grant
        rows, and the store itself says whether an object is there.
        """
        if principal.kind == LOCAL_OWNER.kind:
            check_project_name(project)
            return
        held = self.held(principal, project, digests)
        for digest in digests:
            if digest not in held:
                raise NotFound(
                    f"object {digest.hex} is not in project {project!r}",
                    hint="upload it to this project first (push, or log the artifact again)",
                )

    def grant(
        self,
        principal: Principal,
        project: str,
        refs: Sequence[ObjectRef],
        *,
        action: str = "objects.put",
    ) -> None:
        """Record that ``project`` holds ``refs`` (contributors); one audit entry for all."""
        check_project_name(project)
        principal.require(Role.CONTRIBUTOR, project, "store objects")
        if not refs:
            return
        with self.db.write() as session:
            grant_rows(session, principal, project, refs)
            audit.record(
                session,
                principal,
                action,
                f"objects:{refs[0].digest.hex}",
                project=project,
                detail={"objects": len(refs), "bytes": sum(r.size for r in refs)},
            )


def grant_rows(
    session: Session, principal: Principal, project: str, refs: Sequence[ObjectRef]
) -> None:
    """Insert grant rows in an open write session (for services that audit on their own)."""
    table: Table = ObjectGrantRow.__table__  # type: ignore[assignment]
    now = utcnow()
    unique = {r.digest.hex: r.size for r in refs}
    rows = [
        {
            "project": project,
            "digest": d,
            "size": size,
            "created_at": now,
            "created_by": principal.name,
        }
        for d, size in unique.items()
    ]
    for start in range(0, len(rows), _QUERY_BATCH):
        insert_ignoring_conflicts(
            session, table, rows[start : start + _QUERY_BATCH], ["project", "digest"]
        )
