"""Naming files, and getting content back out of a store: streamed and verified.

Putting is :mod:`shipyard.objects.uploads` (one algorithm for every store).
Reads fetch chunks ahead in parallel, verify each chunk, then the whole
content; a destination file appears (by rename) only once all of it has been
verified. Getting a 4 GiB file stays far below 256 MiB of memory.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest, ObjectRef, new_hasher
from shipyard.core.errors import IntegrityError, InvalidInput, Unavailable
from shipyard.objects.hashing import BackgroundHasher
from shipyard.objects.leftovers import scratch_path
from shipyard.objects.manifest import Manifest
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.sources import file_size

if TYPE_CHECKING:
    from shipyard.objects.store import ObjectStore

__all__ = ["digest_file", "get_file", "get_files", "iter_content", "open_content"]

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
