"""A team server's objects seen from a client: the store behind ``https://`` remotes.

:class:`HttpObjectStore` speaks the object routes of one project on a
server (``/api/v1/projects/P/objects``) and offers the calls other domains
make on an :class:`~shipyard.objects.store.ObjectStore`: ``has``,
``missing``, ``stat``, ``put_*``, ``get_*``, ``read_bytes``, ``iter_content``;
it is one of the two implementations of the objects seam
(:class:`~shipyard.objects.api.ProjectObjects`), so
:func:`shipyard.objects.copy_objects` copies to and from it
(:mod:`shipyard.objects.http_transfer`).

* Blobs (small files, and the chunks of large ones) go in framed batches of
  up to 8 MiB: a few requests for thousands of files.
* Large files are cut into content-defined chunks here, as a local store
  would cut them; only the chunks the server lacks are sent, then the
  manifest. An interrupted upload resumes where it stopped: run it again.
* Downloads are verified against their digest; a dropped connection resumes
  with a ``Range`` request from the byte where it stopped.
* Every request goes through :class:`~shipyard.client.http.ApiClient`
  (keep-alive pool, retries, idempotency keys, errors as ShipyardError).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from shipyard.core.digest import Digest, ObjectRef, digest_of, new_hasher
from shipyard.core.errors import IntegrityError, NotFound, Unavailable
from shipyard.core.object_layout import ObjectKind
from shipyard.objects import uploads
from shipyard.objects.api import Held
from shipyard.objects.chunking import DEFAULT_CHUNKING, ChunkParams
from shipyard.objects.files import _write_atomically
from shipyard.objects.framing import FrameReader, encode_frames
from shipyard.objects.http_uploads import BATCH_BYTES, BATCH_COUNT, HttpWriter
from shipyard.objects.info import ObjectInfo
from shipyard.objects.manifest import ChunkRef
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats

if TYPE_CHECKING:
    from shipyard.client.http import ApiClient

__all__ = ["BATCH_BYTES", "BATCH_COUNT", "HttpObjectStore", "ObjectSummary", "ServerConnection"]

_ASK = 10_000  # digests per question
_RESUMES = 5


class ObjectSummary:
    """What the server says about one object: its size, and its chunks if it has some."""

    __slots__ = ("chunks", "digest", "size")

    def __init__(self, digest: Digest, size: int, chunks: tuple[ChunkRef, ...] | None) -> None:
        self.digest = digest
        self.size = size
        self.chunks = chunks


class ServerConnection:
    """The server as ``store.backend``: where it is, and how many requests were sent."""

    remote = True

    def __init__(self, client: ApiClient, url: str) -> None:
        self.client = client
        self.url = url

    @property
    def requests(self) -> int:
        return self.client.requests


class HttpObjectStore:
    """The objects of ``project`` on the team server ``client`` talks to."""

    def __init__(
        self,
        client: ApiClient,
        project: str,
        *,
        workers: int = 8,
        owns_client: bool = False,
        chunking: ChunkParams = DEFAULT_CHUNKING,
    ) -> None:
        from shipyard.store.projects import check_project_name

        self.client = client
        self.project = check_project_name(project)
        self.workers = max(1, min(workers, 16))
        self.chunking = chunking
        self.backend = ServerConnection(client, f"{client.base_url} (project {project})")
        self._owns_client = owns_client
        self._base = f"/api/v1/projects/{project}/objects"

    def __repr__(self) -> str:
        return f"HttpObjectStore({self.url!r})"

    @property
    def url(self) -> str:
        return self.backend.url

    @property
    def requests(self) -> int:
        return self.client.requests

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> HttpObjectStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- questions -----------------------------------------------------------------------

    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        """The digests among ``digests`` the project does not hold (one request per 10,000)."""
        wanted = list(dict.fromkeys(digests))
        absent: set[Digest] = set()
        for start in range(0, len(wanted), _ASK):
            body = {"digests": [d.hex for d in wanted[start : start + _ASK]]}
            answer = self.client.request(
                "POST", f"{self._base}/missing", json=body, read_only=True
            ).json()
            absent.update(Digest(d) for d in answer["missing"])
        return absent

    def has(self, digest: Digest) -> bool:
        return not self.missing([digest])

    def summaries(
        self, digests: Iterable[Digest]
    ) -> tuple[dict[Digest, ObjectSummary], set[Digest]]:
        """Size and chunks of each object the project holds; and the digests it lacks."""
        wanted = list(dict.fromkeys(digests))
        found: dict[Digest, ObjectSummary] = {}
        absent: set[Digest] = set()
        for start in range(0, len(wanted), _ASK):
            body = {"digests": [d.hex for d in wanted[start : start + _ASK]]}
            answer = self.client.request(
                "POST", f"{self._base}/stat", json=body, read_only=True
            ).json()
            for item in answer["objects"]:
                chunks = item["chunks"]
                parsed = None
                if chunks is not None:
                    parsed = tuple(ChunkRef(Digest(d), int(size)) for d, size in chunks)
                digest = Digest(item["digest"])
                found[digest] = ObjectSummary(digest, int(item["size"]), parsed)
            absent.update(Digest(d) for d in answer["missing"])
        return found, absent

    def stat(self, digest: Digest) -> ObjectInfo:
        """Kind and size of an object; raises :class:`NotFound`."""
        found, _ = self.summaries([digest])
        summary = found.get(digest)
        if summary is None:
            raise self._not_found(digest)
        if summary.chunks is None:
            return ObjectInfo(digest, ObjectKind.BLOB, summary.size, 0, False)
        return ObjectInfo(digest, ObjectKind.MANIFEST, summary.size, len(summary.chunks), False)

    def _not_found(self, digest: Digest) -> NotFound:
        return NotFound(
            f"object {digest.hex} is not in {self.url}",
            hint="push it from where it was made",
        )

    # -- transfers (copy_objects; see http_transfer.py) ---------------------------------

    def describe(self, digests: Iterable[Digest]) -> dict[Digest, Held]:
        from shipyard.objects.http_transfer import describe

        return describe(self, digests)

    def read_blobs(
        self, sizes: Mapping[Digest, int], *, workers: int
    ) -> Iterator[tuple[Digest, bytes]]:
        from shipyard.objects.http_transfer import read_blobs

        return read_blobs(self, sizes, workers)

    def receive(
        self,
        blobs: Iterable[tuple[Digest, bytes]],
        manifests: Mapping[Digest, Sequence[ChunkRef]],
        *,
        stats: TransferStats,
        progress: Progress,
        workers: int,
    ) -> None:
        from shipyard.objects.http_transfer import receive

        receive(self, blobs, manifests, stats=stats, progress=progress, workers=workers)

    # -- raw requests --------------------------------------------------------------------

    def upload_blob(self, digest: Digest, data: bytes | memoryview) -> None:
        self.client.request(
            "PUT",
            f"{self._base}/{digest.hex}",
            content=bytes(data),
            headers={"Content-Type": "application/octet-stream"},
        )

    def upload_batch(self, items: Sequence[tuple[Digest, bytes | memoryview]]) -> None:
        self.client.request(
            "POST",
            f"{self._base}/upload",
            content=encode_frames(items),
            headers={"Content-Type": "application/octet-stream"},
        )

    def upload_manifest(self, digest: Digest, chunks: Sequence[ChunkRef]) -> None:
        """Record a chunked object; the server reads its chunks back, so allow it time."""
        size = sum(c.size for c in chunks)
        self.client.request(
            "PUT",
            f"{self._base}/{digest.hex}/manifest",
            json={"chunks": [[c.digest.hex, c.size] for c in chunks]},
            timeout=60.0 + size / (20 * 1024 * 1024),
        )

    def download_batch(self, digests: Sequence[Digest]) -> Iterator[tuple[Digest, bytes]]:
        """Small objects, framed in one answer, each checked against its digest."""
        wanted = set(digests)
        reader = FrameReader(max_size=self.chunking.max_size)
        body = {"digests": [d.hex for d in digests]}
        with self.client.stream(
            "POST", f"{self._base}/download", json=body, read_only=True
        ) as answer:
            for piece in answer.iter_bytes(1024 * 1024):
                for digest, data in reader.feed(piece):
                    if digest not in wanted:
                        raise IntegrityError(
                            f"the server sent object {digest.hex}, not asked for",
                            object_id=digest.hex,
                        )
                    _check(digest, data)
                    wanted.discard(digest)
                    yield digest, data
        reader.finish()
        if wanted:
            raise IntegrityError(
                f"the server left out object {min(wanted).hex}", object_id=min(wanted).hex
            )

    def fetch(self, digest: Digest) -> bytes:
        """One object's whole content, checked against its digest."""
        return b"".join(self.iter_content(digest))

    # -- putting (see uploads.py) -------------------------------------------------------

    def put_bytes(self, data: bytes | bytearray | memoryview) -> ObjectRef:
        """Upload ``data`` (as its chunks when large); nothing if the project holds it."""
        return uploads.put_bytes(self, data)

    def put_file(self, path: Path | str, *, progress: Progress | None = None) -> ObjectRef:
        """Upload a file: hashed first, so one the project holds costs one question."""
        return uploads.put_file(self, Path(path), progress=progress)

    def put_stream(self, stream: BinaryIO, *, progress: Progress | None = None) -> ObjectRef:
        return uploads.put_stream(self, stream, progress=progress)

    def put_files(
        self,
        paths: Iterable[Path | str],
        *,
        progress: Progress | None = None,
        stats: TransferStats | None = None,
    ) -> list[ObjectRef]:
        """Upload many files; small ones in framed batches. References in input order."""
        return uploads.put_files(self, list(paths), progress=progress, stats=stats)

    # The upload transport (uploads.UploadTarget): framed batches over the object routes.

    asks_in_bulk = True  # one request answers for 10,000 digests

    def store_blob(self, digest: Digest, data: bytes | bytearray | memoryview) -> None:
        if self.missing([digest]):
            self.upload_blob(digest, bytes(data))

    def writer(self, *, pack_small: bool, stats: TransferStats | None = None) -> HttpWriter:
        """Blobs travel in framed batches whatever ``pack_small`` says."""
        return HttpWriter(self, stats=stats)

    # -- getting ---------------------------------------------------------------------------

    def iter_content(self, digest: Digest, *, progress: Progress | None = None) -> Iterator[bytes]:
        """The content, streamed; a dropped connection resumes by ``Range``. Verified at the
        end (raises :class:`IntegrityError` if the bytes do not match the digest)."""
        progress = progress or NO_PROGRESS
        path = f"{self._base}/{digest.hex}"
        hasher = new_hasher()
        received = 0
        size: int | None = None
        failures = 0
        while True:
            headers = {"Range": f"bytes={received}-"} if received else {}
            try:
                with self.client.stream("GET", path, headers=headers) as answer:
                    if size is None:
                        size = int(answer.headers.get("content-length", "0"))
                        progress.begin(f"downloading {digest.short}", size)
                    elif not answer.headers.get("content-range", "").startswith(
                        f"bytes {received}-"
                    ):
                        raise IntegrityError(
                            f"the server did not resume object {digest.hex}", object_id=digest.hex
                        )
                    for piece in answer.iter_bytes(1024 * 1024):
                        hasher.update(piece)
                        received += len(piece)
                        progress.advance(len(piece))
                        yield piece
                break
            except Unavailable:
                failures += 1
                if failures > _RESUMES or size is None:
                    raise
                time.sleep(0.2 * failures)
        if received != size or hasher.hexdigest() != digest.hex:
            raise IntegrityError(
                f"object {digest.hex} arrived damaged from {self.url}",
                object_id=digest.hex,
                hint="download it again; if it persists, run fsck there",
            )

    def read_bytes(self, digest: Digest) -> bytes:
        return b"".join(self.iter_content(digest))

    def get_file(
        self, digest: Digest, dest: Path | str, *, progress: Progress | None = None
    ) -> None:
        """Write an object's content to ``dest`` atomically, once all of it verified."""
        progress = progress or NO_PROGRESS
        _write_atomically(Path(dest), self.iter_content(digest, progress=progress), _ignore)

    def get_files(
        self, items: Iterable[tuple[Digest, Path | str]], *, progress: Progress | None = None
    ) -> None:
        progress = progress or NO_PROGRESS
        jobs = [(d, Path(p)) for d, p in items]
        progress.begin(f"writing {len(jobs):,} files", len(jobs), unit="objects")

        def one(job: tuple[Digest, Path]) -> None:
            self.get_file(job[0], job[1])
            progress.advance(1)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _ in pool.map(one, jobs):
                pass


def _ignore(_n: int) -> None:
    pass


def _check(digest: Digest, data: bytes) -> None:
    if digest_of(data) != digest:
        raise IntegrityError(
            f"object {digest.hex} arrived damaged", object_id=digest.hex, hint="download it again"
        )
