"""Scratch files of the local backend: direct writes where the disk allows, plain elsewhere."""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path

import pytest

from shipyard.objects.backends.local import LocalBackend
from shipyard.objects.backends.scratch import DIRECT_FROM, ScratchFiles

MiB = 1024 * 1024


@pytest.mark.parametrize(
    "size", [0, 1, 4095, 4096, DIRECT_FROM - 1, DIRECT_FROM, 3 * MiB + 17, 8 * MiB, 19 * MiB + 5]
)
def test_values_of_every_size_read_back_exactly(tmp_path: Path, size: int) -> None:
    backend = LocalBackend(tmp_path / "store")
    data = random.Random(size).randbytes(size)
    backend.write("objects/aa/value", [data[: size // 3], memoryview(data)[size // 3 :]])
    assert backend.read("objects/aa/value") == data
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_a_stream_written_piece_by_piece_appears_only_when_committed(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "store")
    rnd = random.Random(1)
    pieces = [rnd.randbytes(rnd.randint(1, 3 * MiB)) for _ in range(12)]
    stream = backend.open_stream(direct=True, background=True)
    for piece in pieces:
        stream.write(piece)
    assert not backend.exists("packs/x.pack")
    backend.commit_stream(stream, "packs/x.pack")
    assert backend.read("packs/x.pack") == b"".join(pieces)


def test_an_aborted_stream_leaves_nothing(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "store")
    stream = backend.open_stream(direct=True, background=True)
    stream.write(os.urandom(9 * MiB))
    backend.abort_stream(stream)
    assert list(backend.list("")) == []
    assert list(backend.scratch_files()) == []


def test_a_filesystem_refusing_direct_writes_gets_plain_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No filesystem here refuses O_DIRECT (even tmpfs takes it now), so the
    # refusal some network filesystems give is played by os.open.
    real_open = os.open

    def refusing(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refusing)
    files = ScratchFiles(tmp_path)
    data = os.urandom(2 * MiB + 3)
    scratch = files.create(direct=True, background=True)
    scratch.write(data)
    scratch.commit(tmp_path / "value")
    assert (tmp_path / "value").read_bytes() == data
    assert not files.direct  # noticed once, for good
