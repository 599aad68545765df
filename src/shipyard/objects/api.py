"""The objects seam: what other domains need from a project's object store.

:class:`ProjectObjects` has two implementations. :class:`~shipyard.objects.store.
ObjectStore` holds the bytes itself (a workspace's store, a folder or bucket
remote, the team server's own store); :class:`~shipyard.objects.http_store.
HttpObjectStore` reaches one project's objects on a team server. The context
picks one (``ctx.project_objects``); callers never ask which they got.

Transfers (:func:`shipyard.objects.copy_objects`) are written once over the
last three operations: the source :meth:`~ProjectObjects.describe`-s what it
holds and :meth:`~ProjectObjects.read_blobs` streams their content, the
destination :meth:`~ProjectObjects.receive`-s that stream. So any store copies
to any other, and neither side needs to know what the other is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from shipyard.core.digest import Digest, ObjectRef
from shipyard.objects.info import ObjectInfo
from shipyard.objects.manifest import ChunkRef
from shipyard.objects.progress import Progress, TransferStats

__all__ = ["Held", "ProjectObjects"]


@dataclass(frozen=True)
class Held:
    """An object a store holds, as a transfer needs to know it.

    ``size``: its content's bytes; ``chunks``: the chunks of a large object,
    None for a blob.
    """

    size: int
    chunks: tuple[ChunkRef, ...] | None = None


class ProjectObjects(Protocol):
    """A project's content-addressed objects; every read is verified against its digest.

    Errors are those of :mod:`shipyard.core.errors`: :class:`NotFound` for an
    object the store lacks, :class:`IntegrityError` for bytes that do not
    match their digest, :class:`Unavailable` when the store cannot be reached.
    """

    workers: int
    """Parallel requests (or threads) this store uses for one call."""

    @property
    def url(self) -> str:
        """Where the objects are, for messages."""
        ...

    @property
    def requests(self) -> int:
        """Requests made so far (HTTP requests, or file operations for a folder)."""
        ...

    def has(self, digest: Digest) -> bool: ...

    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        """The digests among ``digests`` the store lacks (asked in bulk)."""
        ...

    def stat(self, digest: Digest) -> ObjectInfo:
        """Kind and size of one object; raises :class:`NotFound`."""
        ...

    def put_bytes(self, data: bytes | bytearray | memoryview) -> ObjectRef: ...

    def put_file(self, path: Path | str, *, progress: Progress | None = None) -> ObjectRef:
        """Store a file's content (hashed first: a file the store holds costs a read)."""
        ...

    def put_stream(self, stream: BinaryIO, *, progress: Progress | None = None) -> ObjectRef: ...

    def put_files(
        self,
        paths: Iterable[Path | str],
        *,
        progress: Progress | None = None,
        stats: TransferStats | None = None,
    ) -> list[ObjectRef]:
        """Store many files (small ones batched); references in the input order."""
        ...

    def read_bytes(self, digest: Digest) -> bytes: ...

    def iter_content(
        self, digest: Digest, *, progress: Progress | None = None
    ) -> Iterator[bytes]: ...

    def get_file(
        self, digest: Digest, dest: Path | str, *, progress: Progress | None = None
    ) -> None:
        """Write an object's content to ``dest``; it appears only once all of it verified."""
        ...

    def get_files(
        self, items: Iterable[tuple[Digest, Path | str]], *, progress: Progress | None = None
    ) -> None: ...

    # -- transfers (see transfer.py) -------------------------------------------------------

    def describe(self, digests: Iterable[Digest]) -> dict[Digest, Held]:
        """What the store holds of ``digests`` (absent ones are left out)."""
        ...

    def read_blobs(
        self, sizes: Mapping[Digest, int], *, workers: int
    ) -> Iterator[tuple[Digest, bytes]]:
        """The verified content of blobs, read in parallel with bounded memory.

        Raises :class:`NotFound` naming a blob the store lacks before yielding any.
        """
        ...

    def receive(
        self,
        blobs: Iterable[tuple[Digest, bytes]],
        manifests: Mapping[Digest, Sequence[ChunkRef]],
        *,
        stats: TransferStats,
        progress: Progress,
        workers: int,
    ) -> None:
        """Store blobs known to be missing here, then the manifests (only if every blob
        arrived: an interrupted copy leaves complete objects only)."""
        ...

    def close(self) -> None:
        """Release what the store opened (its client, if it owns one)."""
        ...

    def __enter__(self) -> ProjectObjects: ...

    def __exit__(self, *_: object) -> None: ...
