"""Uploads to a team server: bytes, files, streams, many files (see :mod:`http_store`).

A small object is one request (none if the project holds it). A large file is
hashed first (one question if the project holds it), then cut into
content-defined chunks as a local store would cut it; the server is asked which
chunks it lacks a group at a time, those go in framed batches of up to 8 MiB,
and the manifest last, so an interrupted upload resumes by sending only what
is still missing. At most two groups of chunks are in memory.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any, BinaryIO

from shipyard.core.digest import Digest, ObjectRef, digest_of, new_hasher
from shipyard.core.errors import InvalidInput
from shipyard.objects.chunking import iter_chunk_views
from shipyard.objects.files import digest_file as _digest_file
from shipyard.objects.http_store import BATCH_BYTES, HttpObjectStore
from shipyard.objects.manifest import ChunkRef
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.sources import Prefixed, file_size, open_file, read_file, read_up_to

__all__ = ["put_bytes", "put_file", "put_files", "put_stream"]

_GROUP = 16  # chunks of a large file asked about (and held) at once


def put_bytes(store: HttpObjectStore, data: bytes | bytearray | memoryview) -> ObjectRef:
    if len(data) > store.chunking.threshold:
        return put_stream(store, io.BytesIO(bytes(data)))
    digest = digest_of(data)
    if store.missing([digest]):
        store.upload_blob(digest, bytes(data))
    return ObjectRef(digest, len(data))


def put_file(store: HttpObjectStore, path: Path, *, progress: Progress | None = None) -> ObjectRef:
    progress = progress or NO_PROGRESS
    path = Path(path)
    size = file_size(path)
    progress.begin(f"uploading {path.name}", size)
    if size <= store.chunking.threshold:
        ref = put_bytes(store, read_file(path))
        progress.advance(ref.size)
        return ref
    known = _digest_file(path)
    if not store.missing([known.digest]):
        progress.advance(known.size)
        return known
    with open_file(path) as stream:
        ref = _put_chunked(store, stream, progress)
    if ref != known:
        raise InvalidInput(
            f"{path} changed while it was being uploaded",
            hint="upload it again once nothing is writing to it",
        )
    return ref


def put_stream(
    store: HttpObjectStore, stream: BinaryIO, *, progress: Progress | None = None
) -> ObjectRef:
    progress = progress or NO_PROGRESS
    head = read_up_to(stream, store.chunking.threshold + 1)
    progress.begin("uploading a stream", None)
    if len(head) <= store.chunking.threshold:
        ref = put_bytes(store, head)
        progress.advance(ref.size)
        return ref

    return _put_chunked(store, Prefixed(head, stream), progress)


def _put_chunked(store: HttpObjectStore, stream: Any, progress: Progress) -> ObjectRef:
    """Cut, ask which chunks the server lacks (a group at a time), send those, then
    the manifest. At most two groups of chunks are held in memory."""
    chunks: list[ChunkRef] = []
    group: list[tuple[Digest, bytes]] = []
    uploads: list[Future[None]] = []
    hasher = new_hasher()
    with ThreadPoolExecutor(max_workers=store.workers) as pool:

        def send(items: list[tuple[Digest, bytes]]) -> list[Future[None]]:
            absent = store.missing(d for d, _ in items)
            batches: list[list[tuple[Digest, bytes]]] = [[]]
            size = 0
            for digest, data in items:
                if digest not in absent:
                    progress.advance(len(data))
                    continue
                absent.discard(digest)
                if batches[-1] and size + len(data) > BATCH_BYTES:
                    batches.append([])
                    size = 0
                batches[-1].append((digest, data))
                size += len(data)
            return [pool.submit(_send_batch, store, b, progress) for b in batches if b]

        views = iter_chunk_views(stream, store.chunking, on_piece=hasher.update)
        with closing(views):  # on an error: stop reading now
            for view, release in views:
                data = bytes(view)
                release()
                digest = digest_of(data)
                chunks.append(ChunkRef(digest, len(data)))
                group.append((digest, data))
                if len(group) >= _GROUP:
                    _wait(uploads)  # the previous group: bounded memory
                    uploads = send(group)
                    group = []
        _wait(uploads)
        _wait(send(group))
        digest = Digest(hasher.hexdigest())
    store.upload_manifest(digest, chunks)
    return ObjectRef(digest, sum(c.size for c in chunks))


def _send_batch(
    store: HttpObjectStore, items: list[tuple[Digest, bytes]], progress: Progress
) -> None:
    store.upload_batch(items)
    progress.advance(sum(len(data) for _, data in items))


def put_files(
    store: HttpObjectStore,
    paths: list[Path],
    *,
    progress: Progress | None = None,
    stats: TransferStats | None = None,
) -> list[ObjectRef]:
    """Upload many files; small ones in framed batches. References in input order."""
    progress = progress or NO_PROGRESS
    stats = stats if stats is not None else TransferStats()
    files = [Path(p) for p in paths]
    sizes = [file_size(p) for p in files]
    threshold = store.chunking.threshold
    small = [i for i, size in enumerate(sizes) if size <= threshold]
    before = store.client.requests
    progress.begin(f"hashing {len(small):,} files", sum(sizes[i] for i in small))

    def hash_one(i: int) -> Digest:
        digest = _digest_file(files[i]).digest
        progress.advance(sizes[i])
        return digest

    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        digests = dict(zip(small, pool.map(hash_one, small), strict=True))
    absent = store.missing(digests.values())
    refs: dict[int, ObjectRef] = {i: ObjectRef(d, sizes[i]) for i, d in digests.items()}
    progress.begin(f"uploading {len(files):,} files", sum(sizes))
    sending: dict[Digest, int] = {}
    for i, digest in digests.items():
        if digest in absent and digest not in sending:
            sending[digest] = i
        else:
            stats.skip(sizes[i])
            progress.advance(sizes[i])

    def read(digest: Digest) -> bytes:
        data = read_file(files[sending[digest]])
        if digest_of(data) != digest:
            raise InvalidInput(f"{files[sending[digest]]} changed while it was being uploaded")
        return data

    from shipyard.objects.http_transfer import send_blobs

    send_blobs(store, [(d, sizes[i]) for d, i in sending.items()], read, stats, progress)
    for i, size in enumerate(sizes):
        if size > threshold:
            refs[i] = put_file(store, files[i])
            progress.advance(size)
    stats.requests += store.client.requests - before
    return [refs[i] for i in range(len(files))]


def _wait(futures: list[Future[None]]) -> None:
    for future in futures:
        future.result()
