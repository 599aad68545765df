"""``fsck``: read every record, check it against its name, report what is wrong.

Checks, in order: every pack index can be read and its pack exists and
hashes to the pack's id (if not, each of its records is checked on its own
so the damaged ones are named); every record decodes (and decrypts) and its
content hashes to its name; every manifest's chunks exist; every digest the
metadata references exists. Nothing is changed; scratch files of killed
writers are not problems (``gc`` removes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shipyard.core.digest import Digest, digest_of, new_hasher
from shipyard.core.errors import IntegrityError, NotFound
from shipyard.core.object_layout import ObjectKind, pack_key
from shipyard.objects import records
from shipyard.objects.catalog import PackInfo
from shipyard.objects.manifest import Manifest
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.store import ObjectStore, StoredRecord

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["FsckReport", "Problem", "check_store", "fsck"]


@dataclass(frozen=True)
class Problem:
    object_id: str
    """The stored name (the digest, in a plain store) or the pack id."""
    kind: str
    """``corrupt`` or ``missing``."""
    where: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {
            "object": self.object_id,
            "problem": self.kind,
            "where": self.where,
            "detail": self.detail,
        }


@dataclass
class FsckReport:
    url: str
    records: int = 0
    bytes: int = 0
    packs: int = 0
    references: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.url,
            "ok": self.ok,
            "records": self.records,
            "bytes": self.bytes,
            "packs": self.packs,
            "references": self.references,
            "problems": [p.to_dict() for p in self.problems],
        }


def fsck(ctx: Context, *, progress: Progress | None = None) -> FsckReport:
    """Check the workspace's object store and the objects its metadata references."""
    from shipyard.core.principal import Role
    from shipyard.objects.references import collect_references

    ctx.principal.require(Role.VIEWER, ctx.project, "check the object store")
    roots = collect_references(ctx).digests
    return check_store(ctx.objects, roots, progress=progress)


def check_store(
    store: ObjectStore, roots: Iterable[Digest] = (), *, progress: Progress | None = None
) -> FsckReport:
    progress = progress or NO_PROGRESS
    report = FsckReport(store.url)
    loose = [r for r in store.iter_records() if r.pack_id is None]
    packs = store.catalog.packs()
    for pack_id, error in sorted(store.catalog.damaged.items()):
        report.problems.append(Problem(pack_id, "corrupt", "pack index", error.one_line()))
    report.packs = len(packs)
    total = sum(r.stored_size for r in loose) + sum(p.size for p in packs)
    progress.begin("verifying objects", total)

    names: set[str] = set()
    chunk_refs: dict[str, str] = {}  # chunk name → manifest name
    problems: list[Problem] = []

    def check_loose(record: StoredRecord) -> tuple[str, list[str], Problem | None]:
        assert record.key is not None
        try:
            raw = store.backend.read(record.key)
        except NotFound:
            return record.name, [], None  # deleted meanwhile
        progress.advance(record.stored_size)
        return _check_record(store, record.name, raw, f"loose {record.key}")

    def check_pack(pack: PackInfo) -> list[tuple[str, list[str], Problem | None]]:
        try:
            data = store.backend.read(pack_key(pack.pack_id))
        except NotFound:
            progress.advance(pack.size)
            return [
                (
                    e.name,
                    [],
                    Problem(e.name, "missing", f"pack {pack.pack_id[:12]}", "pack file is missing"),
                )
                for e in pack.entries
            ]
        progress.advance(pack.size)
        if new_hasher(len(data)).update(data).hexdigest() == pack.pack_id:
            where = f"pack {pack.pack_id[:12]}"
        else:
            where = f"pack {pack.pack_id[:12]} (pack checksum mismatch)"
        results = []
        for entry in pack.entries:
            raw = data[entry.offset : entry.offset + entry.length]
            results.append(_check_record(store, entry.name, raw, where, entry.kind))
        return results

    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        outcomes = list(pool.map(check_loose, loose))
        for group in pool.map(check_pack, packs):
            outcomes.extend(group)
    for name, chunks, problem in outcomes:
        report.records += 1
        if problem is not None:
            problems.append(problem)
            continue
        names.add(name)
        for chunk in chunks:
            chunk_refs.setdefault(chunk, name)
    report.bytes = total
    bad = {p.object_id for p in problems}
    for chunk, manifest in sorted(chunk_refs.items()):
        if chunk not in names and chunk not in bad:
            problems.append(
                Problem(chunk, "missing", f"chunk of manifest {manifest[:12]}", "chunk not stored")
            )
    roots = set(roots)
    report.references = len(roots)
    for digest in sorted(roots):
        name = store.name_for(digest)
        if name not in names and name not in bad:
            problems.append(
                Problem(digest.hex, "missing", "referenced by metadata", "object not stored")
            )
    report.problems.extend(problems)
    return report


def _check_record(
    store: ObjectStore,
    name: str,
    raw: bytes,
    where: str,
    kind: ObjectKind | None = None,
) -> tuple[str, list[str], Problem | None]:
    try:
        record = records.decode(raw, name, store.codec)
        if kind is not None and record.kind is not kind:
            raise IntegrityError(f"object {name} has kind {record.kind.name} unlike its index")
        if record.kind is ObjectKind.BLOB:
            if store.name_for(digest_of(record.plaintext)) != name:
                raise IntegrityError(f"object {name} does not match its digest")
            return name, [], None
        manifest = Manifest.decode(record.plaintext, name)
        return name, [store.name_for(c.digest) for c in manifest.chunks], None
    except IntegrityError as exc:
        return name, [], Problem(name, "corrupt", where, exc.message)
