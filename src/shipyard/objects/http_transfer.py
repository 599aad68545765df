"""A team server's side of a transfer: describe, download and upload over the object routes.

:func:`shipyard.objects.copy_objects` is written once for every pair of stores;
these are the three operations it calls on an :class:`HttpObjectStore`. Blobs
travel in framed batches of up to 8 MiB (or 2,000 objects) each way, in
parallel with at most ``2 × workers`` requests (and their bytes) in flight;
manifests are recorded last, so an interrupted copy leaves only complete
objects and running it again sends the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from shipyard.core.digest import Digest
from shipyard.objects.api import Held
from shipyard.objects.bounded import bounded_results
from shipyard.objects.http_store import BATCH_BYTES, BATCH_COUNT, HttpObjectStore
from shipyard.objects.manifest import ChunkRef
from shipyard.objects.progress import Progress, TransferStats

__all__ = ["batches", "describe", "read_blobs", "receive"]

T = TypeVar("T")
R = TypeVar("R")


def describe(store: HttpObjectStore, digests: Iterable[Digest]) -> dict[Digest, Held]:
    """What the project holds of ``digests`` (one request per 10,000)."""
    found, _absent = store.summaries(digests)
    return {d: Held(s.size, s.chunks) for d, s in found.items()}


def read_blobs(
    store: HttpObjectStore, sizes: Mapping[Digest, int], workers: int
) -> Iterator[tuple[Digest, bytes]]:
    """Blobs downloaded in framed batches, each checked against its digest."""
    jobs = [[d for d, _ in batch] for batch in batches(sizes.items(), lambda item: item[1])]

    def fetch(job: list[Digest]) -> list[tuple[Digest, bytes]]:
        return list(store.download_batch(job))

    for results in _bounded(jobs, fetch, workers):
        yield from results


def receive(
    store: HttpObjectStore,
    blobs: Iterable[tuple[Digest, bytes]],
    manifests: Mapping[Digest, Sequence[ChunkRef]],
    *,
    stats: TransferStats,
    progress: Progress,
    workers: int,
) -> None:
    """Upload blobs in framed batches as they come, then record the manifests."""

    def send(batch: list[tuple[Digest, bytes]]) -> None:
        store.upload_batch(batch)
        for _digest, data in batch:
            stats.wrote(len(data))
            progress.advance(len(data))

    for _ in _bounded(batches(blobs, lambda item: len(item[1])), send, workers):
        pass
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(lambda item: store.upload_manifest(*item), manifests.items()):
            stats.wrote(0)


def batches(items: Iterable[T], size_of: Callable[[T], int]) -> Iterator[list[T]]:
    """Items grouped into requests of at most 8 MiB (or 2,000 objects), as they come."""
    batch: list[T] = []
    batch_bytes = 0
    for item in items:
        size = size_of(item)
        if batch and (batch_bytes + size > BATCH_BYTES or len(batch) >= BATCH_COUNT):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(item)
        batch_bytes += size
    if batch:
        yield batch


def _bounded(jobs: Iterable[T], run: Callable[[T], R], workers: int) -> Iterator[R]:
    """Results of ``run(job)`` in job order, with at most ``2 × workers`` jobs in flight."""
    return bounded_results(jobs, run, workers, window=max(2, workers * 2), name="shipyard-http")
