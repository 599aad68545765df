"""Corruption is always reported, naming the object; a killed writer leaves nothing bad."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shipyard.core.digest import digest_of
from shipyard.core.errors import IntegrityError
from shipyard.core.object_layout import ObjectKind, loose_key, pack_key
from shipyard.objects import ObjectStore, check_store, open_store


def _flip_byte(path: Path, offset: int = -5) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def _where(store: ObjectStore, name: str) -> tuple[Path, int]:
    """The file holding record ``name`` and the record's offset in it (loose or packed)."""
    loc = store._locate(name)
    assert loc is not None
    root: Path = store.backend.root  # type: ignore[attr-defined]
    if loc.key is not None:
        return root / loc.key, 0
    assert loc.pack_id is not None
    assert loc.entry is not None
    return root / pack_key(loc.pack_id), loc.entry.offset


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return open_store(tmp_path / "store")


def test_one_flipped_byte_in_a_loose_object(store: ObjectStore) -> None:
    ref = store.put_bytes(b"precious data " * 100)
    _flip_byte(store.backend.root / loose_key(ref.digest.hex, ObjectKind.BLOB))  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError) as caught:
        store.read_bytes(ref.digest)
    assert caught.value.object_id == ref.digest.hex
    assert ref.digest.hex in caught.value.one_line()
    report = check_store(store)
    assert [p.object_id for p in report.problems] == [ref.digest.hex]
    assert report.problems[0].kind == "corrupt"


def test_one_flipped_byte_in_a_packed_object(store: ObjectStore, tmp_path: Path) -> None:
    paths = []
    for i in range(20):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(f"small file {i} " * 20)
    refs = store.put_files(paths)
    loc = store._locate(refs[4].digest.hex)
    assert loc is not None
    assert loc.entry is not None
    assert loc.pack_id is not None
    pack = store.backend.root / pack_key(loc.pack_id)  # type: ignore[attr-defined]
    _flip_byte(pack, loc.entry.offset + loc.entry.length - 2)
    with pytest.raises(IntegrityError, match=refs[4].digest.hex):
        store.read_bytes(refs[4].digest)
    assert store.read_bytes(refs[5].digest) == paths[5].read_bytes()
    problems = check_store(store).problems
    assert [p.object_id for p in problems] == [refs[4].digest.hex]


def test_a_corrupt_chunk_of_a_large_file(store: ObjectStore, tmp_path: Path) -> None:
    data = random.Random(2).randbytes(9 * 1024 * 1024)
    (tmp_path / "big").write_bytes(data)
    ref = store.put_file(tmp_path / "big")
    manifest = store.manifest(ref.digest)
    assert manifest is not None
    chunk = manifest.chunks[1].digest
    path, offset = _where(store, chunk.hex)  # chunks of large files are packed
    _flip_byte(path, offset + 100)
    with pytest.raises(IntegrityError, match=chunk.hex):
        store.get_file(ref.digest, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))
    assert [p.object_id for p in check_store(store).problems] == [chunk.hex]


def test_a_missing_chunk_and_a_missing_reference(store: ObjectStore, tmp_path: Path) -> None:
    data = random.Random(3).randbytes(9 * 1024 * 1024)
    (tmp_path / "big").write_bytes(data)
    ref = store.put_file(tmp_path / "big")
    manifest = store.manifest(ref.digest)
    assert manifest is not None
    path, _ = _where(store, manifest.chunks[0].digest.hex)
    path.unlink()  # the pack holding the file's chunks: every chunk in it is gone
    other = store.put_bytes(b"to be lost")
    store.delete([other.digest])
    report = check_store(store, [ref.digest, other.digest])
    found = {(p.object_id, p.kind) for p in report.problems}
    gone = {(c.digest.hex, "missing") for c in manifest.chunks}
    assert found == gone | {(other.digest.hex, "missing")}


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from shipyard.objects import open_store
    store = open_store(sys.argv[1], workers=2)
    print("ready", flush=True)
    store.put_file(Path(sys.argv[2]))
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_a_writer_killed_mid_write_leaves_a_clean_store(tmp_path: Path) -> None:
    data = random.Random(4).randbytes(96 * 1024 * 1024)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    root = tmp_path / "store"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(root), str(src)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while not list((root / "tmp").glob("*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    store = open_store(root)
    assert not store.has(digest_of(data))  # killed mid-write, not after
    assert check_store(store).ok
    ref = store.put_file(src)
    assert store.read_bytes(ref.digest) == data
    assert check_store(store, [ref.digest]).ok


def test_deep_fsck_catches_a_forged_manifest(store: ObjectStore, tmp_path: Path) -> None:
    from shipyard.objects import records
    from shipyard.objects.manifest import Manifest

    data = random.Random(8).randbytes(9 * 1024 * 1024)
    (tmp_path / "big").write_bytes(data)
    ref = store.put_file(tmp_path / "big")
    manifest = store.manifest(ref.digest)
    assert manifest is not None
    swapped = Manifest.of([manifest.chunks[1], manifest.chunks[0], *manifest.chunks[2:]])
    path = store.backend.root / loose_key(ref.digest.hex, ObjectKind.MANIFEST)  # type: ignore[attr-defined]
    path.write_bytes(
        records.encode(ObjectKind.MANIFEST, swapped.encode(), ref.digest.hex, store.codec)
    )
    assert check_store(store).ok  # each record is intact on its own
    deep = check_store(store, deep=True)
    assert [(p.object_id, p.kind) for p in deep.problems] == [(ref.digest.hex, "corrupt")]
    with pytest.raises(IntegrityError, match=ref.digest.hex):
        store.read_bytes(ref.digest)


def test_an_interrupted_put_raises_promptly_and_stores_no_manifest(
    store: ObjectStore, tmp_path: Path
) -> None:
    data = random.Random(9).randbytes(40 * 1024 * 1024)
    (tmp_path / "big").write_bytes(data)

    class Stop:
        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        store.put_file(tmp_path / "big", progress=Stop())
    # The traceback (still held here) keeps the put's frames alive: the file's
    # reading thread must have stopped anyway, not wait for them to be freed.
    assert caught.traceback
    assert not [t for t in threading.enumerate() if t.name.startswith("shipyard-read")]
    assert not store.has(digest_of(data))
    assert check_store(store).ok
    assert store.put_file(tmp_path / "big").digest == digest_of(data)


def test_a_file_changing_while_stored_is_refused(store: ObjectStore, tmp_path: Path) -> None:
    from shipyard.core.errors import InvalidInput

    path = tmp_path / "growing.bin"
    original = random.Random(10).randbytes(96 * 1024 * 1024)
    path.write_bytes(original)

    class ChangeTheEnd:
        changed = False

        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            if not self.changed:  # the reader is at most ~50 MiB in: the end is unread
                self.changed = True
                with open(path, "r+b") as handle:
                    handle.seek(-100, os.SEEK_END)
                    handle.write(b"x" * 100)

    with pytest.raises(InvalidInput, match="changed while it was being stored"):
        store.put_file(path, progress=ChangeTheEnd())
    assert store.usage().records > 0  # chunks were written…
    assert not store.has(digest_of(original))  # …but no manifest claims either version
    assert not store.has(digest_of(path.read_bytes()))
    assert check_store(store, deep=True).ok
    ref = store.put_file(path)
    assert store.read_bytes(ref.digest) == path.read_bytes()


def test_putting_a_stored_file_again_writes_nothing(store: ObjectStore, tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(random.Random(11).randbytes(9 * 1024 * 1024))
    store.put_file(tmp_path / "big")
    before = store.backend.requests
    store.put_file(tmp_path / "big")
    assert store.backend.requests - before <= 4  # a lookup, no chunk writes
