"""The objects contract in every mode: the local ObjectStore (a folder, embedded on
SQLite), the S3 ObjectStore (moto, embedded on PostgreSQL) and HttpObjectStore (the
team server): put, get, missing, streams, large chunked files, damage, push and pull."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import IntegrityError, NotFound
from shipyard.core.object_layout import ObjectKind, pack_key
from shipyard.objects import ObjectStore, copy_objects, open_store
from tests.contracts.sdk_modes import Mode

MiB = 1024 * 1024


def _random(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_put_and_get_small_and_chunked_objects(mode: Mode, tmp_path: Path) -> None:
    store = mode.objects
    small = _random(1000, 1)
    ref = store.put_bytes(small)
    assert ref.digest == digest_of(small)
    assert store.has(ref.digest)
    assert store.read_bytes(ref.digest) == small
    large = _random(9 * MiB + 7, 2)
    (tmp_path / "big.bin").write_bytes(large)
    big = store.put_file(tmp_path / "big.bin")
    assert big.digest == digest_of(large)
    info = store.stat(big.digest)
    assert (info.kind, info.size) == (ObjectKind.MANIFEST, len(large))
    assert info.chunks >= 3
    store.get_file(big.digest, tmp_path / "out" / "copy.bin")
    assert (tmp_path / "out" / "copy.bin").read_bytes() == large
    assert b"".join(store.iter_content(big.digest)) == large
    unknown = digest_of(b"never stored " + mode.unique("x").encode())
    assert store.missing([ref.digest, big.digest, unknown]) == {unknown}
    with pytest.raises(NotFound, match=unknown.hex):
        store.read_bytes(unknown)


def test_many_files_at_once(mode: Mode, tmp_path: Path) -> None:
    store = mode.objects
    folder = tmp_path / "many"
    folder.mkdir()
    paths = []
    for i in range(300):
        path = folder / f"f{i}.txt"
        path.write_bytes(f"{mode.unique('file')} {i}".encode())
        paths.append(path)
    (folder / "big.bin").write_bytes(_random(5 * MiB, 3))
    paths.append(folder / "big.bin")
    refs = store.put_files(paths)
    assert [r.digest for r in refs] == [digest_of(p.read_bytes()) for p in paths]
    assert not store.missing(r.digest for r in refs)
    store.get_files(
        [(r.digest, tmp_path / "back" / p.name) for r, p in zip(refs, paths, strict=True)]
    )
    assert (tmp_path / "back" / "f7.txt").read_bytes() == paths[7].read_bytes()


def test_push_and_pull_copy_only_what_is_missing(mode: Mode, tmp_path: Path) -> None:
    local = mode.context.objects
    data = _random(12 * MiB, 4)
    (tmp_path / "data.bin").write_bytes(data)
    files = []
    for i in range(50):
        path = tmp_path / f"s{i}.txt"
        path.write_bytes(f"{mode.unique('small')}".encode())
        files.append(path)
    refs = [local.put_file(tmp_path / "data.bin"), *local.put_files(files)]
    digests = [r.digest for r in refs]
    remote = mode.push_remote()
    pushed = copy_objects(local, remote, digests)
    assert pushed.objects >= 51  # the small files, the chunks, the manifest
    again = copy_objects(local, remote, digests)
    assert (again.objects, again.skipped) == (0, 51)
    # A new version of the big file: only the chunks around the change travel.
    changed = bytearray(data)
    changed[6 * MiB : 6 * MiB + 1000] = _random(1000, 5)
    (tmp_path / "data.bin").write_bytes(bytes(changed))
    new = local.put_file(tmp_path / "data.bin")
    delta = copy_objects(local, remote, [new.digest])
    assert 0 < delta.bytes <= 6 * MiB
    elsewhere = open_store(tmp_path / "elsewhere")
    pulled = copy_objects(remote, elsewhere, [*digests, new.digest])
    assert pulled.objects >= 52
    assert elsewhere.read_bytes(new.digest) == bytes(changed)
    assert elsewhere.read_bytes(digests[5]) == files[4].read_bytes()
    elsewhere.close()


def test_an_interrupted_push_resumes(mode: Mode, tmp_path: Path) -> None:
    local = mode.context.objects
    (tmp_path / "data.bin").write_bytes(_random(10 * MiB, 6))
    ref = local.put_file(tmp_path / "data.bin")
    remote = mode.push_remote()

    class Interrupt(Exception):
        pass

    class StopHalfway:
        seen = 0

        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            self.seen += amount
            if self.seen > 3 * MiB:
                raise Interrupt

    with pytest.raises(Interrupt):
        copy_objects(local, remote, [ref.digest], progress=StopHalfway(), workers=1)
    assert remote.missing([ref.digest]) == {ref.digest}  # no manifest without its chunks
    rest = copy_objects(local, remote, [ref.digest])
    assert rest.skipped >= 1  # chunks sent before the interruption are not sent again
    assert remote.read_bytes(ref.digest) == (tmp_path / "data.bin").read_bytes()


def test_pushing_what_the_source_lacks_copies_nothing(mode: Mode) -> None:
    remote = mode.push_remote()
    ghost = Digest("f" * 64)
    held = mode.context.objects.put_bytes(mode.unique("held").encode())
    with pytest.raises(NotFound, match=ghost.hex):
        copy_objects(mode.context.objects, remote, [held.digest, ghost])
    assert remote.missing([held.digest]) == {held.digest}


def test_empty_and_streamed_content(mode: Mode) -> None:
    store = mode.objects
    empty = store.put_bytes(b"")
    assert (empty.digest, empty.size) == (digest_of(b""), 0)
    assert store.has(empty.digest)
    assert store.read_bytes(empty.digest) == b""
    data = mode.unique("stream").encode() + _random(5 * MiB, 8)  # chunked: above 4 MiB
    streamed = store.put_stream(io.BytesIO(data))
    assert (streamed.digest, streamed.size) == (digest_of(data), len(data))
    assert store.stat(streamed.digest).size == len(data)
    pieces = list(store.iter_content(streamed.digest))
    assert b"".join(pieces) == data


def test_every_read_of_an_unknown_object_is_not_found(mode: Mode, tmp_path: Path) -> None:
    store = mode.objects
    ghost = digest_of(mode.unique("ghost").encode())
    assert not store.has(ghost)
    reads: dict[str, Callable[[], object]] = {
        "stat": lambda: store.stat(ghost),
        "read_bytes": lambda: store.read_bytes(ghost),
        "iter_content": lambda: b"".join(store.iter_content(ghost)),
        "get_file": lambda: store.get_file(ghost, tmp_path / "out.bin"),
    }
    for name, read in reads.items():
        with pytest.raises(NotFound, match=ghost.hex):
            read()
            pytest.fail(f"{name} of an unknown object answered")
    assert not (tmp_path / "out.bin").exists()


@contextmanager
def _behind(mode: Mode, request: pytest.FixtureRequest) -> Iterator[ObjectStore]:
    """The store holding the bytes of ``mode.objects`` (the server's, opened directly)."""
    if mode.server is None:
        store = mode.context.objects
        yield store
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    with open_store(mode.server.objects, endpoint_url=endpoint, create=False) as store:
        yield store


def _damage(store: ObjectStore, digest: Digest) -> None:
    """Flip one byte of the stored record of ``digest``, loose or packed."""
    loc = store._locate(digest.hex)
    assert loc is not None
    key = loc.key if loc.key is not None else pack_key(loc.pack_id)  # type: ignore[arg-type]
    at = loc.entry.offset + loc.entry.length - 2 if loc.entry is not None else -2
    data = bytearray(store.backend.read(key))
    data[at] ^= 0x40
    store.backend.write(key, bytes(data))


def test_a_damaged_object_is_an_integrity_error_naming_it(
    mode: Mode, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = mode.objects
    ref = store.put_bytes(mode.unique("precious").encode() * 100)
    intact = mode.unique("intact").encode()
    kept = store.put_bytes(intact)
    with _behind(mode, request) as holder:
        _damage(holder, ref.digest)
    with pytest.raises(IntegrityError, match=ref.digest.hex) as caught:
        store.read_bytes(ref.digest)
    assert caught.value.object_id == ref.digest.hex
    with pytest.raises(IntegrityError, match=ref.digest.hex):
        store.get_file(ref.digest, tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()
    assert store.read_bytes(kept.digest) == intact
