"""Copying objects between stores: only what the destination lacks, in parallel.

``copy_objects`` is what ``shipyard data push/pull`` build on, for any two
stores of the objects seam (:class:`~shipyard.objects.api.ProjectObjects`: a
folder, a bucket, a team server's project). It asks the destination which of
the digests it lacks (in bulk), has the source describe those (adding the
chunks of large objects, asked about again), then streams the needed blobs
from the source to the destination, verified on the way (and re-encrypted for
the destination's key). Manifests go last, so an interrupted copy leaves only
complete objects behind, and running it again copies just the rest.

The second half is the side of a store that keeps the bytes itself
(:class:`ObjectStore`): records of one pack are read with a few coalesced
ranged reads, and written through a :class:`RecordWriter` that packs small ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.core.object_layout import ObjectKind, pack_key
from shipyard.objects import records
from shipyard.objects.api import Held
from shipyard.objects.bounded import bounded_results
from shipyard.objects.info import Location
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.packs import PackEntry, iter_ranges
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.writer import RecordWriter

if TYPE_CHECKING:
    from shipyard.objects.api import ProjectObjects
    from shipyard.objects.store import ObjectStore

__all__ = ["copy_objects", "describe", "read_blobs", "read_verified_blobs", "receive"]

_RANGE_GAP = 1024 * 1024
_RANGE_MAX = 16 * 1024 * 1024


def copy_objects(
    source: ProjectObjects,
    dest: ProjectObjects,
    digests: Iterable[Digest],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransferStats:
    """Copy ``digests`` (and their chunks) from ``source`` to ``dest``.

    Raises :class:`NotFound` naming an object the source lacks, before copying
    anything. Returns what was done, with the requests made on both sides.
    """
    progress = progress or NO_PROGRESS
    stats = TransferStats()
    before = source.requests + dest.requests
    workers = workers or max(source.workers, dest.workers)

    progress.begin("comparing stores", None, unit="objects")
    wanted = set(digests)
    absent = dest.missing(wanted)
    stats.skipped += len(wanted) - len(absent)
    found = source.describe(absent)
    _require_all(absent, set(found), source.url)
    blobs = {d: held.size for d, held in found.items() if held.chunks is None}
    manifests = {d: held.chunks for d, held in found.items() if held.chunks is not None}
    chunks: dict[Digest, int] = {}
    for refs in manifests.values():
        chunks.update((c.digest, c.size) for c in refs if c.digest not in blobs)
    if chunks:
        needed = dest.missing(chunks)
        stats.skipped += len(chunks) - len(needed)
        blobs.update((d, chunks[d]) for d in needed)

    progress.begin(f"copying {len(blobs) + len(manifests):,} objects", sum(blobs.values()))
    dest.receive(
        source.read_blobs(blobs, workers=workers),
        manifests,
        stats=stats,
        progress=progress,
        workers=workers,
    )
    stats.requests = source.requests + dest.requests - before
    return stats


def _require_all(wanted: set[Digest], found: set[Digest], where: str) -> None:
    lost = sorted(wanted - found)
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise NotFound(
            f"object {lost[0].hex}{more} is not in {where}",
            hint="nothing was copied; run `shipyard fsck` where the objects were made",
        )


# -- the side of a store that holds the bytes itself ------------------------------------


def describe(store: ObjectStore, digests: Iterable[Digest]) -> dict[Digest, Held]:
    """What ``store`` holds of ``digests``; the manifests among them are read in parallel."""
    found = store.locate_many(digests)
    held = {
        d: Held(records.content_size(loc.stored_size, store.codec))
        for d, loc in found.items()
        if loc.kind is ObjectKind.BLOB
    }
    wanted = [(d, loc) for d, loc in found.items() if loc.kind is ObjectKind.MANIFEST]

    def read_manifest(item: tuple[Digest, Location]) -> Manifest:
        digest, loc = item
        return Manifest.decode(_decode(store, digest, loc).plaintext, digest.hex)

    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        for (digest, _), manifest in zip(wanted, pool.map(read_manifest, wanted), strict=True):
            held[digest] = Held(manifest.size, manifest.chunks)
    return held


def read_blobs(
    store: ObjectStore, sizes: Mapping[Digest, int], workers: int
) -> Iterator[tuple[Digest, bytes]]:
    """Locate every blob first (:class:`NotFound` before any is read), then read them.

    A copy described these blobs (or their manifests) just before: the packs as it
    listed them are not listed again (one request less on S3).
    """
    found = store.locate_many(sizes, refresh=False)
    _require_all(set(sizes), set(found), store.url)
    yield from read_verified_blobs(store, found, workers)


def receive(
    store: ObjectStore,
    blobs: Iterable[tuple[Digest, bytes]],
    manifests: Mapping[Digest, Sequence[ChunkRef]],
    *,
    stats: TransferStats,
    progress: Progress,
    workers: int,
) -> None:
    """Write blobs the store lacks (small ones packed), then the manifests."""

    def advance(ref: ChunkRef) -> None:
        progress.advance(ref.size)

    with RecordWriter(store, pack_small=True, stats=stats, workers=workers) as writer:
        for digest, data in blobs:
            writer.submit_blob(data, digest, known_missing=True, on_done=advance)
        for digest, refs in manifests.items():
            writer.add_manifest(digest, Manifest.of(list(refs)))


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
