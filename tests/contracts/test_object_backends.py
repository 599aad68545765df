"""The backend contract (shipyard.objects.backends.base), on a local folder and on S3 (moto)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.core.errors import NotFound
from shipyard.objects.backends.base import Backend
from shipyard.objects.backends.local import LocalBackend
from shipyard.objects.backends.s3 import S3Backend


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        made: Backend = LocalBackend(tmp_path / "store")
    else:
        url = request.getfixturevalue("s3_bucket_url")
        made = S3Backend(url, endpoint_url=request.getfixturevalue("s3_endpoint"))
    yield made
    made.close()


def test_write_then_read_whole_and_ranges(backend: Backend) -> None:
    backend.write("objects/ab/cdef", b"0123456789")
    assert backend.read("objects/ab/cdef") == b"0123456789"
    assert backend.read("objects/ab/cdef", 3, 4) == b"3456"
    assert backend.read("objects/ab/cdef", 7) == b"789"


def test_missing_key_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound):
        backend.read("objects/00/nothing")
    assert not backend.exists("objects/00/nothing")
    assert backend.stat("objects/00/nothing") is None


def test_stat_list_and_prefixes(backend: Backend) -> None:
    backend.write("objects/aa/1", b"x")
    backend.write("objects/ab/2", b"yy")
    backend.write("packs/p.pack", b"zzz")
    info = backend.stat("objects/ab/2")
    assert info is not None
    assert info.size == 2
    assert info.modified > 0
    assert sorted(i.key for i in backend.list("objects/")) == ["objects/aa/1", "objects/ab/2"]
    assert [i.key for i in backend.list("objects/ab/")] == ["objects/ab/2"]
    assert sorted(i.key for i in backend.list()) == ["objects/aa/1", "objects/ab/2", "packs/p.pack"]


def test_overwrite_replaces_the_value(backend: Backend) -> None:
    backend.write("k/one", b"first")
    backend.write("k/one", b"second value")
    assert backend.read("k/one") == b"second value"


def test_delete_and_delete_many_ignore_missing_keys(backend: Backend) -> None:
    for i in range(5):
        backend.write(f"d/{i}", b"x")
    backend.delete("d/0")
    backend.delete("d/0")
    backend.delete_many(["d/1", "d/2", "d/nope"])
    assert sorted(i.key for i in backend.list("d/")) == ["d/3", "d/4"]


def test_concurrent_writers_of_one_key_leave_one_whole_value(backend: Backend) -> None:
    values = [bytes([i]) * 300_000 for i in range(8)]
    threads = [threading.Thread(target=backend.write, args=("same/key", v)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert backend.read("same/key") in values
    assert [i.key for i in backend.list("same/")] == ["same/key"]


def test_requests_are_counted(backend: Backend) -> None:
    before = backend.requests
    backend.write("c/1", b"x")
    backend.read("c/1")
    assert backend.requests >= before + 2


def test_local_scratch_files_are_never_listed(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "dead-writer.tmp").write_bytes(b"partial")
    backend.write("objects/aa/1", b"x")
    assert [i.key for i in backend.list()] == ["objects/aa/1"]
    assert [i.key for i in backend.scratch_files()] == ["tmp/dead-writer.tmp"]
