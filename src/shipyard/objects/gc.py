"""Garbage collection: delete what no metadata references, after a grace period.

The live set is every referenced digest (:mod:`shipyard.objects.references`)
plus the chunks of live manifests. A record that is not live is deleted only
if it is older than the grace period, so an upload in flight (whose metadata
is not committed yet) is never collected. Loose records are deleted; a pack
holding dead records is rewritten with the live ones (new pack first, then
the old index, then the old pack), so a crash at any point loses nothing.
Scratch files and packs without an index left by killed writers go too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, NotFound
from shipyard.core.object_layout import (
    PACKS_PREFIX,
    KeyKind,
    ObjectKind,
    index_key,
    pack_key,
    parse_key,
)
from shipyard.objects.backends.base import KeyInfo
from shipyard.objects.packs import PackBuilder
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.store import ObjectStore, StoredRecord

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["DEFAULT_GRACE", "GcReport", "collect_garbage", "delete_names", "gc"]

DEFAULT_GRACE = timedelta(hours=24)


@dataclass
class GcReport:
    dry_run: bool
    grace_seconds: float
    referenced: int = 0
    live_records: int = 0
    garbage: list[StoredRecord] = field(default_factory=list)
    young: int = 0
    """Unreferenced records kept because they are younger than the grace period."""
    freed_bytes: int = 0
    packs_rewritten: int = 0
    leftovers: list[str] = field(default_factory=list)
    """Scratch files and index-less packs of killed writers (removed)."""
    unreadable_manifests: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "grace_seconds": self.grace_seconds,
            "referenced": self.referenced,
            "live_records": self.live_records,
            "garbage": [
                {
                    "name": r.name,
                    "kind": r.kind.name.lower(),
                    "stored_size": r.stored_size,
                    "pack": r.pack_id,
                }
                for r in self.garbage
            ],
            "young": self.young,
            "freed_bytes": self.freed_bytes,
            "packs_rewritten": self.packs_rewritten,
            "leftovers": self.leftovers,
            "unreadable_manifests": self.unreadable_manifests,
        }


def gc(
    ctx: Context,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """Collect the workspace store's garbage (admin only); records an audit entry."""
    from shipyard.core.principal import Role
    from shipyard.objects.references import collect_references
    from shipyard.store import audit

    ctx.principal.require(Role.ADMIN, ctx.project, "collect garbage in the object store")
    roots = collect_references(ctx)
    if roots.broken:
        source, broken = roots.broken[0]
        raise IntegrityError(
            f"object {broken.digest.hex} referenced by {source} cannot be read "
            f"({broken.detail}), so what it references cannot be told apart from garbage; "
            "nothing was deleted",
            object_id=broken.digest.hex,
            hint="run `shipyard fsck` and restore the damaged objects first",
        )
    now = time.time()
    report = collect_garbage(
        ctx.objects, roots.digests, grace=grace, dry_run=dry_run, progress=progress, now=now
    )
    report.leftovers.extend(_workspace_leftovers(ctx, now - grace.total_seconds(), dry_run))
    if not dry_run:
        with ctx.db.write() as session:
            audit.record(
                session,
                ctx.principal,
                "objects.gc",
                f"objects:{ctx.objects.url}",
                project=ctx.project,
                detail={
                    "deleted": len(report.garbage),
                    "freed_bytes": report.freed_bytes,
                    "grace_seconds": report.grace_seconds,
                },
            )
    return report


def _workspace_leftovers(ctx: Context, cutoff: float, dry_run: bool) -> list[str]:
    """Scratch files of interrupted writes in the workspace's folders, older than ``cutoff``."""
    from shipyard.objects.leftovers import find_leftovers, remove_leftovers

    found = find_leftovers(ctx)
    return [str(p) for p in remove_leftovers(found, older_than=cutoff, dry_run=dry_run)]


def live_names(
    store: ObjectStore, roots: Iterable[Digest], report: GcReport | None = None
) -> set[str]:
    """Stored names of ``roots`` and of the chunks of every root that is a manifest."""
    live: set[str] = set()
    locations = store.locate_many(set(roots))
    for digest, loc in locations.items():
        live.add(loc.name)
        if loc.kind is ObjectKind.MANIFEST:
            try:
                manifest = store.manifest(digest)
            except (IntegrityError, NotFound):
                if report is not None:
                    report.unreadable_manifests.append(digest.hex)
                continue
            if manifest is not None:
                live.update(store.name_for(c.digest) for c in manifest.chunks)
    return live


def collect_garbage(
    store: ObjectStore,
    roots: Iterable[Digest],
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: float | None = None,
) -> GcReport:
    """Delete (or, with ``dry_run``, list) unreferenced records older than ``grace``."""
    progress = progress or NO_PROGRESS
    now = time.time() if now is None else now
    cutoff = now - grace.total_seconds()
    roots = set(roots)
    report = GcReport(dry_run=dry_run, grace_seconds=grace.total_seconds(), referenced=len(roots))
    progress.begin("finding live objects", None, unit="objects")
    live = live_names(store, roots, report)
    if report.unreadable_manifests:
        raise IntegrityError(
            f"{len(report.unreadable_manifests)} referenced manifest(s) cannot be read, "
            "so their chunks cannot be told apart from garbage; nothing was deleted",
            object_id=report.unreadable_manifests[0],
            hint="run `shipyard fsck` and restore the damaged objects first",
        )
    report.live_records = len(live)

    loose: list[StoredRecord] = []
    by_pack: dict[str, list[StoredRecord]] = defaultdict(list)
    for record in store.iter_records():
        if record.name in live:
            continue
        if record.modified > cutoff:
            report.young += 1
            continue
        report.garbage.append(record)
        report.freed_bytes += record.stored_size
        if record.pack_id is None:
            loose.append(record)
        else:
            by_pack[record.pack_id].append(record)
    report.leftovers = _leftovers(store, cutoff)
    if dry_run:
        return report

    progress.begin("deleting garbage", len(loose) + len(by_pack), unit="objects")
    store.backend.delete_many(r.key for r in loose if r.key is not None)
    progress.advance(len(loose))
    for pack_id, dead in by_pack.items():
        _rewrite_pack(store, pack_id, {r.name for r in dead})
        report.packs_rewritten += 1
        progress.advance(1)
    store.backend.delete_many(report.leftovers)
    return report


def delete_names(store: ObjectStore, names: set[str]) -> int:
    """Delete records by stored name (loose: removed; packed: pack rewritten)."""
    count = 0
    by_pack: dict[str, set[str]] = defaultdict(set)
    store.catalog.refresh()
    for name in names:
        loc = store._locate(name, refresh=False)
        if loc is None:
            continue
        count += 1
        if loc.key is not None:
            store.backend.delete(loc.key)
        elif loc.pack_id is not None:
            by_pack[loc.pack_id].add(name)
        # the same record may also be loose, or in another pack
        for kind in (ObjectKind.BLOB, ObjectKind.MANIFEST):
            from shipyard.core.object_layout import loose_key

            store.backend.delete(loose_key(name, kind))
        for pack in store.catalog.packs():
            if pack.pack_id != loc.pack_id and any(e.name == name for e in pack.entries):
                by_pack[pack.pack_id].add(name)
    for pack_id, dead in by_pack.items():
        _rewrite_pack(store, pack_id, dead)
    return count


def _rewrite_pack(store: ObjectStore, pack_id: str, dead: set[str]) -> None:
    info = next((p for p in store.catalog.packs() if p.pack_id == pack_id), None)
    if info is None:
        return
    survivors = [e for e in info.entries if e.name not in dead]
    if survivors:
        data = store.backend.read(pack_key(pack_id))
        builder = PackBuilder(store.codec, target_size=1 << 62)
        for entry in survivors:
            builder.add(entry.name, entry.kind, data[entry.offset : entry.offset + entry.length])
        built = builder.finish()
        store.backend.write(pack_key(built.pack_id), built.data)
        store.backend.write(index_key(built.pack_id), built.index)
        store.catalog.added(built, time.time())
    store.backend.delete(index_key(pack_id))  # first: the pack stops being visible
    store.backend.delete(pack_key(pack_id))
    store.catalog.removed(pack_id)


def _leftovers(store: ObjectStore, cutoff: float) -> list[str]:
    keys: list[str] = []
    indexed: set[str] = set()
    packs: dict[str, KeyInfo] = {}
    for info in store.backend.list(PACKS_PREFIX):
        parsed = parse_key(info.key)
        if parsed.kind is KeyKind.INDEX:
            indexed.add(parsed.name)
        elif parsed.kind is KeyKind.PACK:
            packs[parsed.name] = info
    keys.extend(
        info.key for pid, info in packs.items() if pid not in indexed and info.modified < cutoff
    )
    scratch = getattr(store.backend, "scratch_files", None)
    if scratch is not None:
        keys.extend(info.key for info in scratch() if info.modified < cutoff)
    return keys
