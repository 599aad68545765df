"""``fsck``: read every record, check it against its name, report what is wrong.

Checks, in order: every pack index can be read and its pack exists and
hashes to the pack's id (if not, each of its records is checked on its own
so the damaged ones are named); every record decodes (and decrypts) and its
content hashes to its name; every manifest's chunks exist; every digest the
metadata references exists, and every object a reference source could not
read (a corrupt folder listing) is named, after which the check goes on.
Nothing is changed; scratch files of killed writers are not problems: they
are listed (``gc`` removes them).
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
from shipyard.objects.packs import pack_id_of
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
    leftovers: list[str] = field(default_factory=list)
    """Scratch files of interrupted writes in the workspace's folders (not problems)."""

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
            "leftovers": self.leftovers,
        }


def fsck(ctx: Context, *, deep: bool = False, progress: Progress | None = None) -> FsckReport:
    """Check the workspace's object store and the objects its metadata references."""
    from shipyard.core.principal import Role
    from shipyard.objects.leftovers import find_leftovers
    from shipyard.objects.references import collect_references

    ctx.principal.require(Role.VIEWER, ctx.project, "check the object store")
    refs = collect_references(ctx, command="fsck")
    report = check_store(ctx.objects, refs.digests, deep=deep, progress=progress)
    named = {p.object_id for p in report.problems}
    for source, broken in refs.broken:
        if ctx.objects.name_for(broken.digest) not in named:
            where = f"referenced by {source}"
            report.problems.append(Problem(broken.digest.hex, "corrupt", where, broken.detail))
    report.leftovers = [str(path) for path in find_leftovers(ctx)]
    return report


def check_store(
    store: ObjectStore,
    roots: Iterable[Digest] = (),
    *,
    deep: bool = False,
    progress: Progress | None = None,
) -> FsckReport:
    """Check every record of ``store`` and that every digest in ``roots`` is stored.

    ``deep`` also re-reads every chunked object whole and checks that its
    chunks add up to its digest (the normal check trusts a manifest whose
    own checksum is right).
    """
    progress = progress or NO_PROGRESS
    report = FsckReport(store.url)
    loose = [r for r in store.iter_records() if r.pack_id is None]
    packs = store.catalog.packs()
    for pack_id, error in sorted(store.catalog.damaged.items()):
        report.problems.append(Problem(pack_id, "corrupt", "pack index", error.one_line()))
    report.packs = len(packs)
    report.bytes = sum(r.stored_size for r in loose) + sum(p.size for p in packs)
    progress.begin("verifying objects", report.bytes)

    def check_loose(record: StoredRecord) -> list[_Outcome]:
        assert record.key is not None
        try:
            raw = store.backend.read(record.key)
        except NotFound:
            return []  # deleted meanwhile
        progress.advance(record.stored_size)
        return [_check_record(store, record.name, raw, f"loose {record.key}")]

    def check_pack(pack: PackInfo) -> list[_Outcome]:
        where = f"pack {pack.pack_id[:12]}"
        try:
            data = store.backend.read(pack_key(pack.pack_id))
        except NotFound:
            progress.advance(pack.size)
            return [
                (e.name, None, Problem(e.name, "missing", where, "pack file is missing"))
                for e in pack.entries
            ]
        progress.advance(pack.size)
        if pack.pack_id not in (pack_id_of(pack.entries), _bytes_id(data)):
            where += " (pack id mismatch)"
        return [
            _check_record(store, e.name, data[e.offset : e.offset + e.length], where, e.kind)
            for e in pack.entries
        ]

    outcomes: list[_Outcome] = []
    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        for group in pool.map(check_loose, loose):
            outcomes.extend(group)
        for group in pool.map(check_pack, packs):
            outcomes.extend(group)

    names: set[str] = set()
    manifests: dict[str, Manifest] = {}
    problems: list[Problem] = []
    for name, manifest, problem in outcomes:
        report.records += 1
        if problem is not None:
            problems.append(problem)
            continue
        names.add(name)
        if manifest is not None:
            manifests[name] = manifest
    bad = {p.object_id for p in problems}
    incomplete: set[str] = set()
    for name, manifest in sorted(manifests.items()):
        for chunk in manifest.chunks:
            chunk_name = store.name_for(chunk.digest)
            if chunk_name not in names:
                incomplete.add(name)
                if chunk_name not in bad:
                    bad.add(chunk_name)
                    problems.append(
                        Problem(
                            chunk_name,
                            "missing",
                            f"chunk of manifest {name[:12]}",
                            "chunk not stored",
                        )
                    )
    roots = set(roots)
    report.references = len(roots)
    for digest in sorted(roots):
        name = store.name_for(digest)
        if name not in names and name not in bad:
            problems.append(
                Problem(digest.hex, "missing", "referenced by metadata", "object not stored")
            )
    if deep:
        whole = {n: m for n, m in manifests.items() if n not in incomplete}
        progress.begin("re-reading chunked objects", sum(m.size for m in whole.values()))
        for name, manifest in sorted(whole.items()):
            problem = _check_whole(store, name, manifest, progress)
            if problem is not None:
                problems.append(problem)
    report.problems.extend(problems)
    return report


_Outcome = tuple[str, "Manifest | None", "Problem | None"]


def _bytes_id(data: bytes) -> str:
    """How packs of earlier versions were named: the BLAKE3 of their bytes."""
    return str(new_hasher(len(data)).update(data).hexdigest())


def _check_record(
    store: ObjectStore,
    name: str,
    raw: bytes,
    where: str,
    kind: ObjectKind | None = None,
) -> _Outcome:
    try:
        record = records.decode(raw, name, store.codec)
        if kind is not None and record.kind is not kind:
            raise IntegrityError(f"object {name} has kind {record.kind.name} unlike its index")
        if record.kind is ObjectKind.BLOB:
            if store.name_for(digest_of(record.plaintext)) != name:
                raise IntegrityError(f"object {name} does not match its digest")
            return name, None, None
        return name, Manifest.decode(record.plaintext, name), None
    except IntegrityError as exc:
        return name, None, Problem(name, "corrupt", where, exc.message)


def _check_whole(
    store: ObjectStore, name: str, manifest: Manifest, progress: Progress
) -> Problem | None:
    hasher = new_hasher(manifest.size)
    try:
        for chunk in manifest.chunks:
            hasher.update(store.fetch_blob(chunk.digest))
            progress.advance(chunk.size)
    except (IntegrityError, NotFound) as exc:
        return Problem(name, "corrupt", "chunked object", exc.one_line())
    if store.name_for(Digest(hasher.hexdigest())) != name:
        return Problem(name, "corrupt", "chunked object", "its chunks do not add up to its digest")
    return None
