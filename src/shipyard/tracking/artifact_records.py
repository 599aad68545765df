"""Recording a run's artifacts: the one use case the route and the in-process backend call.

:func:`record_artifacts` checks the items, resolves the run (which the caller
must be able to read), applies the object rule, then writes them
(:func:`write_artifacts`, which checks the caller may write to the run).
:func:`check_artifacts` is the only check of paths and sizes: the service's
own ``record_artifacts`` (metadata only, no object rule) uses it too.

The object rule: every artifact names an object its run's project holds,
with the size that object has. Who answers "holds" is an :class:`ObjectHolder`:

* on a team server, the project's object grants (:class:`~shipyard.objects.
  grants.ObjectGrants`): one store serves every project, so naming another
  project's digest must not make its bytes readable through this run;
* in-process, the store itself (:class:`StoreHolder`). A workspace's store
  has no per-project grants: whoever opens its database opens the store, and
  can read every object in it, so there is nothing to keep apart. What the
  rule still catches there is an artifact recorded without its bytes, or with
  a size that is not its object's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.principal import Principal
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.upsert import upsert
from shipyard.tracking.entities import ArtifactRecord
from shipyard.tracking.limits import check_artifact_path
from shipyard.tracking.tables import RunArtifactRow
from shipyard.tracking.writes import check_writable

if TYPE_CHECKING:
    from shipyard.objects.api import ProjectObjects
    from shipyard.tracking.service import TrackingService

__all__ = [
    "ObjectHolder",
    "StoreHolder",
    "check_artifacts",
    "record_artifacts",
    "write_artifacts",
]


class ObjectHolder(Protocol):
    def held(
        self, principal: Principal, project: str, digests: Iterable[Digest]
    ) -> dict[Digest, int]:
        """Which of ``digests`` ``project`` holds, with their sizes."""
        ...


class StoreHolder:
    """The in-process answer: the objects a store holds (the same for every project)."""

    def __init__(self, store: ProjectObjects) -> None:
        self.store = store

    def held(
        self, principal: Principal, project: str, digests: Iterable[Digest]
    ) -> dict[Digest, int]:
        return {d: held.size for d, held in self.store.describe(digests).items()}


def check_artifacts(items: Sequence[tuple[str, str, int]]) -> list[tuple[str, Digest, int]]:
    """``(path, digest, size)`` items checked, their digests parsed; raises InvalidInput."""
    checked = []
    for path, digest, size in items:
        check_artifact_path(path)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidInput(f"artifact size must be a whole number of bytes, not {size!r}")
        checked.append((path, Digest.parse(digest), size))
    return checked


def record_artifacts(
    service: TrackingService,
    holder: ObjectHolder,
    principal: Principal,
    run_id: str,
    items: Sequence[tuple[str, str, int]],
) -> list[ArtifactRecord]:
    """Record files ``(path, digest, size)`` of the run ``run_id`` names, all or none.

    Raises :class:`InvalidInput` for a bad path or size, or a size that is not
    its object's; :class:`NotFound` for an unknown run or an object the
    project does not hold; :class:`PermissionDenied` if the caller may not
    write to the run.
    """
    checked = check_artifacts(items)
    full_id, project = service.run_project(principal, run_id)
    held = holder.held(principal, project, [d for _, d, _ in checked])
    for path, digest, size in checked:
        if digest not in held:
            raise NotFound(
                f"object {digest.hex} of artifact {path!r} is not in project {project!r}",
                hint="upload the file first",
            )
        if held[digest] != size:
            raise InvalidInput(
                f"artifact {path!r} says {size:,} bytes; "
                f"object {digest.hex} has {held[digest]:,} bytes"
            )
    return write_artifacts(service.db, principal, full_id, checked)


def write_artifacts(
    db: Database, principal: Principal, run_id: str, checked: Sequence[tuple[str, Digest, int]]
) -> list[ArtifactRecord]:
    """Record items :func:`check_artifacts` returned, in one transaction; a path again replaces it.

    Returns the records (one per path, the last item's). Raises :class:`NotFound`
    for an unknown run, :class:`Conflict` for one that has ended,
    :class:`PermissionDenied` if the caller may not write to it.
    """
    now = utcnow()
    latest = {path: (digest.hex, size) for path, digest, size in checked}
    records = [ArtifactRecord(path, hex_, size, now) for path, (hex_, size) in latest.items()]
    if not records:
        return []
    with db.write() as session:
        check_writable(session.connection(), principal, {run_id}, None)
        upsert(
            session,
            RunArtifactRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "run_id": run_id,
                    "path": r.path,
                    "digest": r.digest,
                    "size": r.size,
                    "created_at": now,
                }
                for r in records
            ],
            keys=["run_id", "path"],
            update=["digest", "size", "created_at"],
        )
    return records
