"""gc roots of dataset versioning: every object a dataset version or pointer needs.

``shipyard gc`` keeps what this source yields (and the chunks of those that
are manifests):

* every version recorded in the metadata store: its content digest, its
  profile (or, for a folder, its profile index), and for a folder every
  file and profile its listing and index name (read from the store);
* every pointer file in the work tree, the same way, so data that was
  pulled or checked out but never added here is kept too.

Listings that are not in the store are skipped: there is nothing of them to
keep. Versions only named in git history (not recorded, not in the work
tree) are not roots; record them by adding or keep them checked out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.data.tree import ProfileIndex, Tree
from shipyard.objects.references import register_reference_source

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.store import ObjectStore

__all__ = ["dataset_objects"]


def dataset_objects(ctx: Context) -> Iterator[Digest]:
    from sqlalchemy import select

    from shipyard.data.tables import DatasetVersionRow

    store = ctx.objects
    with ctx.db.read() as session:
        rows = session.execute(
            select(
                DatasetVersionRow.kind,
                DatasetVersionRow.digest,
                DatasetVersionRow.profile_digest,
            )
        ).all()
    for kind, digest, profile in rows:
        yield from _version(store, kind, Digest(digest), Digest(profile) if profile else None)
    if ctx.settings.workspace is not None:
        from shipyard.data.workspace import DataWorkspace

        with DataWorkspace(ctx) as ws:
            for pointer in ws.pointers().values():
                yield from _version(store, pointer.kind, pointer.digest, pointer.profile)


def _version(
    store: ObjectStore, kind: str, digest: Digest, profile: Digest | None
) -> Iterator[Digest]:
    yield digest
    if profile is not None:
        yield profile
    if kind != "directory":
        return
    try:
        yield from (f.digest for f in Tree.from_bytes(store.read_bytes(digest), digest))
        if profile is not None:
            index = ProfileIndex.from_bytes(store.read_bytes(profile), profile)
            yield from (d for d, _rows in index.files.values())
    except NotFound:
        return


register_reference_source("datasets", dataset_objects)
