"""Files are replaced in one step: whole old or whole new, exact modes, no leftovers."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest

from shipyard.workspace.atomic import write_atomic

SRC = Path(__file__).resolve().parents[2] / "src" / "shipyard"
RENAMES = re.compile(r"os\.replace\(|os\.rename\(|\b(tmp|temporary)\.replace\(")
STREAMED_OR_FOLDERS = {
    "workspace/atomic.py": "the helper itself",
    "objects/files.py": "a download streamed into a temporary file, checked, then renamed",
    "objects/backends/scratch.py": "an upload streamed to scratch space, then renamed",
    "data/linking.py": "a hard link or copy made aside, then renamed over the work-tree file",
    "models/signing/sign.py": "model_signing writes the signature file itself",
    "workspace/create.py": "a whole .shipyard folder staged, then renamed",
    "models/model_dir/save.py": "a whole model directory staged, then renamed",
    "registry/cache.py": "a whole cached model directory, then renamed",
    "data/opening.py": "a whole extracted folder, then renamed",
    "projects_io/export.py": "an archive streamed into a temporary file, then renamed",
}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_text_and_bytes_replace_the_file(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    write_atomic(target, "ü = 1\n")
    assert target.read_text(encoding="utf-8") == "ü = 1\n"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert _leftovers(tmp_path) == []


def test_a_mode_is_exact_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "plain", "x")
        write_atomic(tmp_path / "public.pem", "x", mode=0o644)
    finally:
        os.umask(old)
    write_atomic(tmp_path / "secret", "x", mode=0o600, durable=True)
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o600  # as open() would
    assert stat.S_IMODE((tmp_path / "public.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    occupied = tmp_path / "report.json"
    occupied.mkdir()  # a folder where the file would go: the rename fails
    (occupied / "keep").write_text("mine")
    with pytest.raises(OSError):
        write_atomic(occupied, "{}")
    assert (occupied / "keep").read_text() == "mine"
    assert _leftovers(tmp_path) == []
    with pytest.raises(OSError):
        write_atomic(tmp_path / "missing" / "file", "x")


def test_writers_at_once_never_show_a_reader_part_of_a_file(tmp_path: Path) -> None:
    target = tmp_path / "pointer"
    versions = [bytes([65 + i]) * 200_000 for i in range(4)]
    write_atomic(target, versions[0])
    torn: list[int] = []

    def write(version: bytes) -> None:
        for _ in range(25):
            write_atomic(target, version)

    writers = [threading.Thread(target=write, args=(v,)) for v in versions]
    for thread in writers:
        thread.start()
    while any(t.is_alive() for t in writers):
        seen = target.read_bytes()
        if seen not in versions:
            torn.append(len(seen))
    for thread in writers:
        thread.join()
    assert torn == []
    assert target.read_bytes() in versions
    assert _leftovers(tmp_path) == []


def test_no_module_replaces_a_file_by_hand() -> None:
    found = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if RENAMES.search(path.read_text(encoding="utf-8"))
    }
    assert found - set(STREAMED_OR_FOLDERS) == set(), "use shipyard.workspace.atomic.write_atomic"
    assert set(STREAMED_OR_FOLDERS) - found == set(), "a listed module no longer renames"
