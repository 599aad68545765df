"""Copying objects between stores: only what the destination lacks, in parallel.

``copy`` is what ``shipyard data push/pull`` build on. Given the digests to
copy it asks the destination which it lacks (in bulk), reads the manifests
among them to add their chunks, then streams the needed records from the
source (records in one pack are fetched with a few coalesced ranged reads)
to the destination's writer, which packs the small ones. Every record is
verified on the way (and re-encrypted for the destination's key); manifests
go last, so an interrupted copy leaves only complete objects behind, and
running it again copies just the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.object_layout import ObjectKind, pack_key
from shipyard.objects import records
from shipyard.objects.bounded import bounded_results
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.packs import PackEntry, iter_ranges
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.store import Location, ObjectStore
from shipyard.objects.writer import RecordWriter

if TYPE_CHECKING:
    from shipyard.objects.http_store import HttpObjectStore

__all__ = ["copy_objects", "read_verified_blobs"]

_RANGE_GAP = 1024 * 1024
_RANGE_MAX = 16 * 1024 * 1024


def copy_objects(
    source: ObjectStore | HttpObjectStore,
    dest: ObjectStore | HttpObjectStore,
    digests: Iterable[Digest],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransferStats:
    """Copy ``digests`` (and their chunks) from ``source`` to ``dest``.

    Either side may be a team server's store (:class:`HttpObjectStore`, what
    ``open_remote("https://…")`` opens); not both. Raises :class:`NotFound`
    naming an object neither store holds, before copying anything. Returns
    what was done, with the requests made on both sides.
    """
    from shipyard.objects.http_store import HttpObjectStore

    if isinstance(source, HttpObjectStore) or isinstance(dest, HttpObjectStore):
        from shipyard.objects import http_transfer

        if isinstance(source, ObjectStore) and isinstance(dest, HttpObjectStore):
            return http_transfer.push(source, dest, digests, progress=progress, workers=workers)
        if isinstance(source, HttpObjectStore) and isinstance(dest, ObjectStore):
            return http_transfer.pull(source, dest, digests, progress=progress, workers=workers)
        raise InvalidInput(
            "cannot copy from one team server to another directly",
            hint="pull into a local store first, then push from there",
        )
    progress = progress or NO_PROGRESS
    stats = TransferStats()
    before = source.backend.requests + dest.backend.requests
    workers = workers or max(source.workers, dest.workers)

    progress.begin("comparing stores", None, unit="objects")
    wanted = set(digests)
    absent = dest.missing(wanted)
    stats.skipped += len(wanted) - len(absent)
    found = source.locate_many(absent)
    _require_all(absent, found, source)

    blobs = {d: loc for d, loc in found.items() if loc.kind is ObjectKind.BLOB}
    wanted_manifests = [(d, loc) for d, loc in found.items() if loc.kind is ObjectKind.MANIFEST]

    def read_manifest(item: tuple[Digest, Location]) -> Manifest:
        digest, loc = item
        return Manifest.decode(_decode(source, digest, loc).plaintext, digest.hex)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        manifests = dict(
            zip(
                [d for d, _ in wanted_manifests],
                pool.map(read_manifest, wanted_manifests),
                strict=True,
            )
        )
    chunks = {c.digest for m in manifests.values() for c in m.chunks} - set(blobs)
    if chunks:
        needed = dest.missing(chunks)
        stats.skipped += len(chunks) - len(needed)
        chunk_locs = source.locate_many(needed)
        _require_all(needed, chunk_locs, source)
        blobs.update(chunk_locs)

    progress.begin(
        f"copying {len(blobs) + len(manifests):,} objects",
        sum(loc.stored_size for loc in blobs.values()),
    )
    with RecordWriter(dest, pack_small=True, stats=stats, workers=workers) as writer:
        for digest, data in read_verified_blobs(source, blobs, workers):
            writer.submit_blob(
                data, digest, known_missing=True, on_done=_advance(progress, blobs[digest])
            )
        for digest, manifest in manifests.items():
            writer.add_manifest(digest, manifest)
    stats.requests = source.backend.requests + dest.backend.requests - before
    return stats


def _advance(progress: Progress, loc: Location) -> Callable[[ChunkRef], None]:
    return lambda _ref: progress.advance(loc.stored_size)


def _require_all(wanted: set[Digest], found: dict[Digest, Location], source: ObjectStore) -> None:
    lost = sorted(wanted - set(found))
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise NotFound(
            f"object {lost[0].hex}{more} is not in {source.url}",
            hint="nothing was copied; run `shipyard fsck` where the objects were made",
        )


def _decode(store: ObjectStore, digest: Digest, loc: Location) -> records.Record:
    return records.decode(store._raw(loc), loc.name, store.codec, digest.hex)


def read_verified_blobs(
    source: ObjectStore, blobs: dict[Digest, Location], workers: int
) -> Iterator[tuple[Digest, bytes]]:
    """Verified content of every blob, read in parallel with a bounded window.

    Records of one pack come with a few coalesced ranged reads.
    """
    by_pack: dict[str, list[tuple[Digest, PackEntry]]] = defaultdict(list)
    jobs: list[list[tuple[Digest, Location]]] = []
    for digest, loc in blobs.items():
        if loc.pack_id is not None and loc.entry is not None:
            by_pack[loc.pack_id].append((digest, loc.entry))
        else:
            jobs.append([(digest, loc)])
    for pack_id, members in by_pack.items():
        digest_of_entry = {id(entry): digest for digest, entry in members}
        for group in iter_ranges([e for _, e in members], _RANGE_GAP):
            batch: list[PackEntry] = []
            for entry in group:
                if batch and entry.offset + entry.length - batch[0].offset > _RANGE_MAX:
                    jobs.append(_pack_job(pack_id, batch, digest_of_entry))
                    batch = []
                batch.append(entry)
            if batch:
                jobs.append(_pack_job(pack_id, batch, digest_of_entry))

    def run(job: list[tuple[Digest, Location]]) -> list[tuple[Digest, bytes]]:
        first = job[0][1]
        if first.key is not None:
            return [(job[0][0], source.fetch_blob(job[0][0]))]
        assert first.pack_id is not None
        assert first.entry is not None
        start = first.entry.offset
        last = job[-1][1].entry
        assert last is not None
        data = source.backend.read(
            pack_key(first.pack_id), start, last.offset + last.length - start
        )
        out = []
        for digest, loc in job:
            assert loc.entry is not None
            raw = data[loc.entry.offset - start : loc.entry.offset - start + loc.entry.length]
            record = records.decode(raw, loc.name, source.codec, digest.hex)
            out.append((digest, source._verified_blob(digest, record)))
        return out

    for done in bounded_results(jobs, run, workers, window=max(2, workers), name="shipyard-copy"):
        yield from done


def _pack_job(
    pack_id: str, entries: list[PackEntry], digests: dict[int, Digest]
) -> list[tuple[Digest, Location]]:
    return [
        (digests[id(e)], Location(e.name, e.kind, e.length, pack_id=pack_id, entry=e))
        for e in entries
    ]
