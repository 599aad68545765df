"""Putting files and streams in, getting them back out: streamed and verified.

Large content goes through FastCDC (:mod:`shipyard.objects.chunking`): the
main thread reads and cuts the file, another thread hashes it whole, worker
threads hash, encrypt and write chunks. A large *file* is hashed first, so
one the store already holds costs a read and nothing else. At most
``RecordWriter``'s in-flight budget of chunk bytes is held at once, so
putting or getting a 4 GiB file stays far below 256 MiB of memory. Reads
fetch chunks ahead in parallel, verify each chunk, then the whole content; a
destination file appears (by rename) only once all of it has been verified.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from shipyard.core.digest import Digest, ObjectRef, digest_of, new_hasher
from shipyard.core.errors import IntegrityError, InvalidInput, Unavailable
from shipyard.core.object_layout import ObjectKind, loose_key
from shipyard.objects import records
from shipyard.objects.chunking import iter_chunk_views
from shipyard.objects.hashing import BackgroundHasher
from shipyard.objects.leftovers import scratch_path
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.sources import Prefixed, file_size, open_file, read_file, read_up_to
from shipyard.objects.writer import RecordWriter

if TYPE_CHECKING:
    from shipyard.objects.store import ObjectStore

__all__ = [
    "digest_file",
    "get_file",
    "get_files",
    "iter_content",
    "open_content",
    "put_bytes",
    "put_file",
    "put_files",
    "put_stream",
]


_BATCH_BYTES = 4 * 1024 * 1024
"""Chunks of a stream go to the writer in batches of about this many bytes."""

# -- naming without storing ------------------------------------------------------


def digest_file(path: Path) -> ObjectRef:
    """The reference a store would give ``path``, without storing anything.

    The digest is the plain BLAKE3 of the file (what ``b3sum`` prints), hashed
    on every core through one reused 16 MiB buffer.
    """
    size = file_size(path)
    hasher = new_hasher(size)
    buffer = bytearray(min(max(size, 1), 16 * 1024 * 1024))
    view = memoryview(buffer)
    total = 0
    try:
        with open(path, "rb", buffering=0) as handle:
            while n := handle.readinto(buffer):
                hasher.update(view[:n])
                total += n
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return ObjectRef(Digest(hasher.hexdigest()), total)


# -- putting --------------------------------------------------------------------


def put_bytes(store: ObjectStore, data: bytes | bytearray | memoryview) -> ObjectRef:
    if len(data) > store.chunking.threshold:
        return put_stream(store, io.BytesIO(bytes(data)))
    digest = digest_of(data)
    name = store.name_for(digest)
    if not store.has_name(name, ObjectKind.BLOB):
        record = records.encode(ObjectKind.BLOB, memoryview(data), name, store.codec)
        store.backend.write(loose_key(name, ObjectKind.BLOB), record)
    return ObjectRef(digest, len(data))


def put_file(store: ObjectStore, path: Path, *, progress: Progress | None = None) -> ObjectRef:
    progress = progress or NO_PROGRESS
    size = file_size(path)
    progress.begin(f"storing {path.name}", size)
    if size <= store.chunking.threshold:
        ref = put_bytes(store, read_file(path))
        progress.advance(ref.size)
        return ref
    with RecordWriter(store, pack_small=False, pack_large=True) as writer:
        return _put_large(store, path, writer, progress)


def _put_large(
    store: ObjectStore, path: Path, writer: RecordWriter, progress: Progress
) -> ObjectRef:
    """Hash first (as fast as reading): a file the store holds is not cut at all.

    Otherwise cut and store it, hashing it again on the way: if the two
    digests differ the file changed meanwhile, and no manifest is written.
    """
    known = digest_file(path)
    if store.has(known.digest):
        writer.stats.skip(known.size)
        progress.advance(known.size)
        return known
    with open_file(path) as stream:
        ref = _put_chunked(stream, writer, progress)
    if ref != known:
        raise InvalidInput(
            f"{path} changed while it was being stored",
            hint="store it again once nothing is writing to it",
        )
    return ref


def put_stream(
    store: ObjectStore, stream: BinaryIO, *, progress: Progress | None = None
) -> ObjectRef:
    progress = progress or NO_PROGRESS
    threshold = store.chunking.threshold
    head = read_up_to(stream, threshold + 1)
    progress.begin("storing a stream", None)
    if len(head) <= threshold:
        ref = put_bytes(store, head)
        progress.advance(ref.size)
        return ref
    with RecordWriter(store, pack_small=False, pack_large=True) as writer:
        return _put_chunked(Prefixed(head, stream), writer, progress)


def _put_chunked(stream: Any, writer: RecordWriter, progress: Progress) -> ObjectRef:
    futures = []
    total = 0
    batch: list[tuple[memoryview, Callable[[], None]]] = []
    batched = 0

    def advance(ref: ChunkRef) -> None:
        progress.advance(ref.size)

    hasher = new_hasher()
    views = iter_chunk_views(stream, writer.store.chunking, on_piece=hasher.update)
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
    chunks = [ref for f in futures for ref in f.result()]
    writer.add_manifest(digest, Manifest.of(chunks))
    return ObjectRef(digest, total)


def put_files(
    store: ObjectStore,
    paths: list[Path | str],
    *,
    progress: Progress | None = None,
    stats: TransferStats | None = None,
    sizes: list[int] | None = None,
) -> list[ObjectRef]:
    progress = progress or NO_PROGRESS
    stats = stats if stats is not None else TransferStats()
    before = store.backend.requests
    if sizes is None or len(sizes) != len(paths):
        sizes = [file_size(p) for p in paths]
    threshold = store.chunking.threshold
    small = [i for i, size in enumerate(sizes) if size <= threshold]
    refs: list[ObjectRef | None] = [None] * len(paths)
    # A folder answers "do you have it?" with a stat: read each file once and
    # let the workers ask. A bucket answers in bulk for a listing: hash first.
    missing = _missing_small(store, paths, sizes, small, progress) if store.backend.remote else None

    to_write = sum(sizes)
    progress.begin(f"storing {len(paths):,} files", to_write)
    with RecordWriter(store, pack_small=True, pack_large=True, stats=stats) as writer:
        futures: dict[int, Future[Any]] = {}
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
                refs[i] = _put_large(store, Path(paths[i]), writer, progress)
        for i, future in futures.items():
            ref = future.result()
            refs[i] = ObjectRef(ref.digest, ref.size)
    stats.requests += store.backend.requests - before
    return [r for r in refs if r is not None]


def _missing_small(
    store: ObjectStore,
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

    with ThreadPoolExecutor(max_workers=store.workers) as pool:
        digests = dict(zip(small, pool.map(hash_one, small), strict=True))
    lacking = store.missing(set(digests.values()))
    seen: set[Digest] = set()
    answer = {}
    for i, digest in digests.items():
        answer[i] = (digest, digest in lacking and digest not in seen)
        seen.add(digest)
    return answer


# -- getting ----------------------------------------------------------------------


def open_content(store: ObjectStore, digest: Digest) -> tuple[int, Iterator[bytes]]:
    """The size of an object and an iterator over its verified content."""
    data, manifest = store._load(digest)
    if manifest is None:
        assert data is not None
        return len(data), iter((data,))
    return manifest.size, _iter_chunked(store, digest, manifest)


def iter_content(
    store: ObjectStore, digest: Digest, *, progress: Progress | None = None
) -> Iterator[bytes]:
    progress = progress or NO_PROGRESS
    size, pieces = open_content(store, digest)
    progress.begin(f"reading {digest.short}", size)
    for piece in pieces:
        progress.advance(len(piece))
        yield piece


def _iter_chunked(store: ObjectStore, digest: Digest, manifest: Manifest) -> Iterator[bytes]:
    hasher = BackgroundHasher()
    window = max(2, store.workers * 2)
    pool = ThreadPoolExecutor(max_workers=store.workers, thread_name_prefix="shipyard-get")
    finished = False
    try:
        pending: deque[tuple[int, Future[bytes]]] = deque()
        chunks = iter(manifest.chunks)
        for chunk in chunks:
            pending.append((chunk.size, pool.submit(store.fetch_blob, chunk.digest)))
            if len(pending) >= window:
                break
        while pending:
            size, future = pending.popleft()
            piece = future.result()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append((nxt.size, pool.submit(store.fetch_blob, nxt.digest)))
            if len(piece) != size:
                raise IntegrityError(
                    f"object {digest.hex} is corrupt: a chunk has the wrong size",
                    object_id=digest.hex,
                )
            hasher.update(piece)
            yield piece
        finished = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not finished:
            hasher.close()
    if hasher.digest() != digest:
        raise IntegrityError(
            f"object {digest.hex} is corrupt: its content does not match its digest",
            object_id=digest.hex,
            hint="run `shipyard fsck`, then restore the object from another copy",
        )


def get_file(
    store: ObjectStore, digest: Digest, dest: Path, *, progress: Progress | None = None
) -> None:
    progress = progress or NO_PROGRESS
    size, pieces = open_content(store, digest)
    progress.begin(f"writing {dest.name}", size)
    _write_atomically(dest, pieces, progress.advance)


def get_files(
    store: ObjectStore, items: list[tuple[Digest, Path]], *, progress: Progress | None = None
) -> None:
    progress = progress or NO_PROGRESS
    progress.begin(f"writing {len(items):,} files", len(items), unit="objects")

    def one(item: tuple[Digest, Path]) -> None:
        _size, pieces = open_content(store, item[0])
        _write_atomically(item[1], pieces, lambda _n: None)
        progress.advance(1)

    with ThreadPoolExecutor(max_workers=min(store.workers, 8)) as pool:
        for _ in pool.map(one, items):
            pass


def _write_atomically(dest: Path, pieces: Iterator[bytes], advance: Callable[[int], None]) -> None:
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder", hint="give a file path to write to")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"cannot create {dest.parent}: {exc.strerror}") from None
    tmp = scratch_path(dest)
    try:
        with open(tmp, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
                advance(len(piece))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise Unavailable(f"cannot write {dest}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- small helpers ----------------------------------------------------------------
