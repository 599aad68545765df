"""Putting bytes, files and streams into a store: one algorithm, whatever the transport.

Both stores of the objects seam put content the same way; only where the
bytes go differs (:class:`UploadTarget`: records written by a
:class:`~shipyard.objects.writer.RecordWriter`, or framed batches sent to a
team server by :class:`~shipyard.objects.http_uploads.HttpWriter`).

* A small object is one record, written only if the store lacks it.
* A large file is hashed first (as fast as reading it), so one the store
  holds costs a read and one question. Otherwise FastCDC cuts it; its chunks
  go to the writer in ~4 MiB batches, and its manifest is written last, once
  every chunk is stored; if the file changed meanwhile (the two digests
  differ), no manifest is written.
* Many files: a store that answers "which do you lack?" in bulk (a bucket, a
  server) has the small files hashed first and asked about in one go; a folder
  answers with a stat, so each file is read once and the writer checks it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from shipyard.core.digest import Digest, ObjectRef, digest_of, new_hasher
from shipyard.core.errors import InvalidInput
from shipyard.objects.chunking import ChunkParams, iter_chunk_views
from shipyard.objects.files import digest_file
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.sources import Prefixed, file_size, open_file, read_file, read_up_to

__all__ = ["BlobWriter", "UploadTarget", "put_bytes", "put_file", "put_files", "put_stream"]

_BATCH_BYTES = 4 * 1024 * 1024
"""Chunks of a stream go to the writer in batches of about this many bytes."""


class BlobWriter(Protocol):
    """One batch of writes into a store (a context manager): blobs now, manifests last."""

    stats: TransferStats

    def submit_blob(
        self,
        data: bytes | memoryview,
        digest: Digest | None = None,
        *,
        known_missing: bool = False,
        on_done: Callable[[ChunkRef], None] | None = None,
    ) -> Future[ChunkRef]:
        """Store ``data`` unless held (``known_missing``: the caller asked already)."""
        ...

    def submit_blobs(
        self,
        batch: list[tuple[memoryview, Callable[[], None]]],
        *,
        on_done: Callable[[ChunkRef], None] | None = None,
    ) -> Future[list[ChunkRef]]:
        """Store the chunks of one stream, in order; each ``release`` is called once its
        view is no longer needed."""
        ...

    def packs_inline(self, size: int) -> bool:
        """Whether a blob of ``size`` bytes is best stored now, in the caller's thread."""
        ...

    def put_inline(self, data: bytes | memoryview) -> ChunkRef: ...

    def add_manifest(self, digest: Digest, manifest: Manifest) -> None:
        """Write ``manifest`` once every blob is stored (not at all after an error)."""
        ...

    def flush(self) -> None:
        """Start writing whatever the writer holds back to batch it (before waiting on it)."""
        ...

    def __enter__(self) -> BlobWriter: ...

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None: ...


class UploadTarget(Protocol):
    """What the algorithm needs from a store."""

    workers: int

    @property
    def chunking(self) -> ChunkParams: ...

    @property
    def requests(self) -> int: ...

    @property
    def asks_in_bulk(self) -> bool:
        """True when one question about many digests beats a check per write."""
        ...

    def has(self, digest: Digest) -> bool: ...

    def missing(self, digests: Iterable[Digest]) -> set[Digest]: ...

    def store_blob(self, digest: Digest, data: bytes | bytearray | memoryview) -> None:
        """Store one small object, unless the store holds it."""
        ...

    def writer(self, *, pack_small: bool, stats: TransferStats | None = None) -> BlobWriter: ...


def put_bytes(target: UploadTarget, data: bytes | bytearray | memoryview) -> ObjectRef:
    if len(data) > target.chunking.threshold:
        return put_stream(target, io.BytesIO(bytes(data)))
    digest = digest_of(data)
    target.store_blob(digest, data)
    return ObjectRef(digest, len(data))


def put_file(target: UploadTarget, path: Path, *, progress: Progress | None = None) -> ObjectRef:
    progress = progress or NO_PROGRESS
    size = file_size(path)
    progress.begin(f"storing {path.name}", size)
    if size <= target.chunking.threshold:
        ref = put_bytes(target, read_file(path))
        progress.advance(ref.size)
        return ref
    with target.writer(pack_small=False) as writer:
        return _put_large(target, path, writer, progress)


def _put_large(
    target: UploadTarget, path: Path, writer: BlobWriter, progress: Progress
) -> ObjectRef:
    """Hash first (as fast as reading): a file the store holds is not cut at all.

    Otherwise cut and store it, hashing it again on the way: if the two
    digests differ the file changed meanwhile, and no manifest is written.
    """
    known = digest_file(path)
    if target.has(known.digest):
        writer.stats.skip(known.size)
        progress.advance(known.size)
        return known
    with open_file(path) as stream:
        ref = _put_chunked(stream, writer, target.chunking, progress)
    if ref != known:
        raise InvalidInput(
            f"{path} changed while it was being stored",
            hint="store it again once nothing is writing to it",
        )
    return ref


def put_stream(
    target: UploadTarget, stream: BinaryIO, *, progress: Progress | None = None
) -> ObjectRef:
    progress = progress or NO_PROGRESS
    threshold = target.chunking.threshold
    head = read_up_to(stream, threshold + 1)
    progress.begin("storing a stream", None)
    if len(head) <= threshold:
        ref = put_bytes(target, head)
        progress.advance(ref.size)
        return ref
    with target.writer(pack_small=False) as writer:
        return _put_chunked(Prefixed(head, stream), writer, target.chunking, progress)


def _put_chunked(
    stream: Any, writer: BlobWriter, chunking: ChunkParams, progress: Progress
) -> ObjectRef:
    futures = []
    total = 0
    batch: list[tuple[memoryview, Callable[[], None]]] = []
    batched = 0

    def advance(ref: ChunkRef) -> None:
        progress.advance(ref.size)

    hasher = new_hasher()
    views = iter_chunk_views(stream, chunking, on_piece=hasher.update)
    try:
        for chunk, release in views:
            total += len(chunk)
            batch.append((chunk, release))
            batched += len(chunk)
            if batched >= _BATCH_BYTES:
                sending, batch, batched = batch, [], 0
                futures.append(writer.submit_blobs(sending, on_done=advance))
        if batch:
            sending, batch = batch, []
            futures.append(writer.submit_blobs(sending, on_done=advance))
    finally:
        for _, release in batch:  # not handed over: an error stopped the loop
            release()
        views.close()  # on an error: stop reading now, not when the traceback goes
    digest = Digest(hasher.hexdigest())  # the views are exhausted: every piece is hashed
    writer.flush()
    chunks = [ref for f in futures for ref in f.result()]
    writer.add_manifest(digest, Manifest.of(chunks))
    return ObjectRef(digest, total)


def put_files(
    target: UploadTarget,
    paths: list[Path | str],
    *,
    progress: Progress | None = None,
    stats: TransferStats | None = None,
    sizes: list[int] | None = None,
) -> list[ObjectRef]:
    progress = progress or NO_PROGRESS
    stats = stats if stats is not None else TransferStats()
    before = target.requests
    if sizes is None or len(sizes) != len(paths):
        sizes = [file_size(p) for p in paths]
    threshold = target.chunking.threshold
    small = [i for i, size in enumerate(sizes) if size <= threshold]
    refs: list[ObjectRef | None] = [None] * len(paths)
    missing = _missing_small(target, paths, sizes, small, progress) if target.asks_in_bulk else None

    progress.begin(f"storing {len(paths):,} files", sum(sizes))
    with target.writer(pack_small=True, stats=stats) as writer:
        futures: dict[int, Future[ChunkRef]] = {}
        for i in small:
            if missing is not None:
                digest, needed = missing[i]
                if not needed:
                    refs[i] = ObjectRef(digest, sizes[i])
                    stats.skip(sizes[i])
                    progress.advance(sizes[i])
                    continue
            data = read_file(paths[i])
            if missing is None and writer.packs_inline(len(data)):
                ref = writer.put_inline(data)  # tiny: no future, no hand-off
                refs[i] = ObjectRef(ref.digest, ref.size)
                progress.advance(ref.size)
                continue
            futures[i] = writer.submit_blob(
                data,
                known_missing=missing is not None,
                on_done=lambda ref: progress.advance(ref.size),
            )
        for i, size in enumerate(sizes):
            if size > threshold:
                refs[i] = _put_large(target, Path(paths[i]), writer, progress)
        writer.flush()
        for i, future in futures.items():
            ref = future.result()
            refs[i] = ObjectRef(ref.digest, ref.size)
    stats.requests += target.requests - before
    return [r for r in refs if r is not None]


def _missing_small(
    target: UploadTarget,
    paths: list[Path | str],
    sizes: list[int],
    small: list[int],
    progress: Progress,
) -> dict[int, tuple[Digest, bool]]:
    """Digest of each small file and whether the store lacks it (one bulk question)."""
    progress.begin(f"hashing {len(small):,} files", sum(sizes[i] for i in small))

    def hash_one(i: int) -> Digest:
        digest = digest_of(read_file(paths[i]))
        progress.advance(sizes[i])
        return digest

    with ThreadPoolExecutor(max_workers=target.workers) as pool:
        digests = dict(zip(small, pool.map(hash_one, small), strict=True))
    lacking = target.missing(set(digests.values()))
    seen: set[Digest] = set()
    answer = {}
    for i, digest in digests.items():
        answer[i] = (digest, digest in lacking and digest not in seen)
        seen.add(digest)
    return answer
