"""Objects put, got and pushed, embedded and against a team server: the same."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import NotFound
from shipyard.core.object_layout import ObjectKind
from shipyard.objects import copy_objects, open_store
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
