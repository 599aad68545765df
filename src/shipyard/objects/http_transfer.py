"""Copying objects to and from a team server: push and pull over the object routes.

:func:`shipyard.objects.copy_objects` hands over to :func:`push` or
:func:`pull` when one side is an :class:`HttpObjectStore`. They work like the
store-to-store copy: ask the destination in bulk what it lacks, add the
chunks of large objects and ask again, send only what is missing (blobs in
framed batches of up to 8 MiB, in parallel with bounded memory), and record
manifests last, so an interrupted copy leaves
only complete objects and running it again sends the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.bounded import bounded_results
from shipyard.objects.http_store import BATCH_BYTES, BATCH_COUNT, HttpObjectStore
from shipyard.objects.manifest import Manifest
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.store import ObjectStore
from shipyard.objects.writer import RecordWriter

__all__ = ["pull", "push", "send_blobs"]

J = TypeVar("J")
R = TypeVar("R")


def push(
    source: ObjectStore,
    dest: HttpObjectStore,
    digests: Iterable[Digest],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransferStats:
    """Send ``digests`` (and the chunks of large ones) that the server's project lacks."""
    progress = progress or NO_PROGRESS
    stats = TransferStats()
    before = source.backend.requests + dest.backend.requests
    progress.begin("comparing with the server", None, unit="objects")
    wanted = set(digests)
    absent = dest.missing(wanted)
    stats.skipped += len(wanted) - len(absent)
    found = source.locate_many(absent)
    _require_all(absent, set(found), source.url)
    blobs = {d: loc.stored_size for d, loc in found.items() if loc.kind is ObjectKind.BLOB}
    manifest_digests = [d for d, loc in found.items() if loc.kind is ObjectKind.MANIFEST]
    with ThreadPoolExecutor(max_workers=workers or source.workers) as pool:
        manifests = dict(
            zip(manifest_digests, pool.map(source.manifest, manifest_digests), strict=True)
        )
    chunks: dict[Digest, int] = {}
    for manifest in manifests.values():
        assert manifest is not None
        chunks.update((c.digest, c.size) for c in manifest.chunks if c.digest not in blobs)
    if chunks:
        needed = dest.missing(chunks)
        stats.skipped += len(chunks) - len(needed)
        _require_all(needed, set(source.locate_many(needed)), source.url)
        blobs.update((d, chunks[d]) for d in needed)
    progress.begin(f"sending {len(blobs) + len(manifests):,} objects", sum(blobs.values()))
    send_blobs(dest, list(blobs.items()), source.fetch_blob, stats, progress, workers=workers)
    with ThreadPoolExecutor(max_workers=workers or dest.workers) as pool:
        done = pool.map(
            lambda item: dest.upload_manifest(item[0], item[1].chunks),
            [(d, m) for d, m in manifests.items() if m is not None],
        )
        for _ in done:
            stats.wrote(0)
    stats.requests = source.backend.requests + dest.backend.requests - before
    return stats


def send_blobs(
    dest: HttpObjectStore,
    items: Sequence[tuple[Digest, int]],
    read: Callable[[Digest], bytes],
    stats: TransferStats,
    progress: Progress,
    *,
    workers: int | None = None,
) -> None:
    """Upload blobs ``(digest, size)``, reading each with ``read`` in a worker.

    Blobs (at most one chunk, 4 MiB, each) go framed, up to 8 MiB per request;
    at most ``2 × workers`` requests (and their bytes) are in flight.
    """
    jobs = _batches(items)

    def run(job: list[tuple[Digest, int]]) -> None:
        contents = [(digest, read(digest)) for digest, _ in job]
        dest.upload_batch(contents)
        for _digest, data in contents:
            stats.wrote(len(data))
            progress.advance(len(data))

    _run_bounded(jobs, run, workers or dest.workers)


def pull(
    source: HttpObjectStore,
    dest: ObjectStore,
    digests: Iterable[Digest],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransferStats:
    """Fetch ``digests`` (and the chunks of large ones) that ``dest`` lacks from the server."""
    progress = progress or NO_PROGRESS
    stats = TransferStats()
    before = source.backend.requests + dest.backend.requests
    workers = workers or max(source.workers, dest.workers)
    progress.begin("comparing with the server", None, unit="objects")
    wanted = set(digests)
    absent = dest.missing(wanted)
    stats.skipped += len(wanted) - len(absent)
    found, _lost = source.summaries(absent)
    _require_all(absent, set(found), source.url)
    blobs = {d: s.size for d, s in found.items() if s.chunks is None}
    manifests = {d: s.chunks for d, s in found.items() if s.chunks is not None}
    chunks: dict[Digest, int] = {}
    for refs in manifests.values():
        chunks.update((c.digest, c.size) for c in refs if c.digest not in blobs)
    if chunks:
        needed = dest.missing(chunks)
        stats.skipped += len(chunks) - len(needed)
        blobs.update((d, chunks[d]) for d in needed)
    progress.begin(f"fetching {len(blobs) + len(manifests):,} objects", sum(blobs.values()))
    jobs = [[d for d, _ in batch] for batch in _batches(list(blobs.items()))]

    def fetch(job: list[Digest]) -> list[tuple[Digest, bytes]]:
        return list(source.download_batch(job))

    with RecordWriter(dest, pack_small=True, stats=stats, workers=workers) as writer:
        for results in _bounded_results(jobs, fetch, workers):
            for digest, data in results:
                writer.submit_blob(
                    data, digest, known_missing=True, on_done=lambda ref: progress.advance(ref.size)
                )
        for digest, refs in manifests.items():
            writer.add_manifest(digest, Manifest.of(list(refs)))
    stats.requests = source.backend.requests + dest.backend.requests - before
    return stats


def _batches(items: Sequence[tuple[Digest, int]]) -> list[list[tuple[Digest, int]]]:
    """Blobs grouped into requests of at most 8 MiB (or 2,000 objects)."""
    jobs: list[list[tuple[Digest, int]]] = []
    batch: list[tuple[Digest, int]] = []
    batch_bytes = 0
    for digest, size in items:
        if batch and (batch_bytes + size > BATCH_BYTES or len(batch) >= BATCH_COUNT):
            jobs.append(batch)
            batch, batch_bytes = [], 0
        batch.append((digest, size))
        batch_bytes += size
    if batch:
        jobs.append(batch)
    return jobs


def _require_all(wanted: set[Digest], found: set[Digest], where: str) -> None:
    lost = sorted(wanted - found)
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise NotFound(
            f"object {lost[0].hex}{more} is not in {where}",
            hint="nothing was copied; push it from where it was made",
        )


def _run_bounded(
    jobs: list[list[tuple[Digest, int]]], run: Callable[..., None], workers: int
) -> None:
    for _ in _bounded_results(jobs, run, workers):
        pass


def _bounded_results(jobs: Sequence[J], run: Callable[[J], R], workers: int) -> Iterator[R]:
    """Results of ``run(job)`` in job order, with at most ``2 × workers`` jobs in flight."""
    return bounded_results(jobs, run, workers, window=max(2, workers * 2), name="shipyard-http")
