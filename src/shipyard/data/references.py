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

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, NotFound, ShipyardError
from shipyard.data.tree import ProfileIndex, Tree
from shipyard.objects.leftovers import is_scratch_name, register_leftover_source
from shipyard.objects.references import BrokenReference, register_reference_source

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.store import ObjectStore

__all__ = ["dataset_objects"]


def dataset_objects(ctx: Context) -> Iterator[Digest | BrokenReference]:
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
) -> Iterator[Digest | BrokenReference]:
    yield digest
    if profile is not None:
        yield profile
    if kind != "directory":
        return
    for what, listed in ((digest, True), (profile, False)):
        if what is None:
            continue
        try:
            data = store.read_bytes(what)
            if listed:
                # Only digests are read here: paths never meet the disk, so an unsafe
                # one does not hide the files it names from gc.
                yield from (f.digest for f in Tree.from_bytes(data, what, check_paths=False))
            else:
                yield from (d for d, _ in ProfileIndex.from_bytes(data, what).files.values())
        except NotFound:
            continue
        except IntegrityError as exc:
            yield BrokenReference(what, exc.message)


def checkout_leftovers(ctx: Context) -> Iterator[Path]:
    """Scratch files interrupted checkouts left at tracked paths and in the file cache."""
    if ctx.settings.workspace is None:
        return
    from shipyard.data.workspace import DataWorkspace

    with DataWorkspace(ctx) as ws:
        for name in ws.pointer_names():
            scratch: list[str] = []
            try:
                ws.scan(name, scratch)
            except ShipyardError:
                continue  # unreadable or refused: data status names it
            yield from map(Path, scratch)
        cache = ws.ctx.layout.dot_dir / "cache" / "files"
        for folder, _dirs, files in os.walk(cache):
            yield from (Path(folder, f) for f in files if is_scratch_name(f))


register_reference_source("datasets", dataset_objects)
register_leftover_source("data checkouts", checkout_leftovers)
