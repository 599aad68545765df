"""Fingerprints of the files a run reads: size and BLAKE3 digest, for lineage.

A file's digest is BLAKE3 of its bytes (memory-mapped, multi-threaded). A
folder's digest is BLAKE3 over its files' relative paths, sizes and digests
in sorted order, so renaming, adding or changing any file changes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import blake3

from shipyard.core.errors import InvalidInput

__all__ = ["digest_file"]


def digest_file(path: Path) -> tuple[int, str]:
    """(size in bytes, BLAKE3 hex digest) of a file or folder; raises :class:`InvalidInput`."""
    try:
        if path.is_dir():
            return _digest_folder(path)
        return path.stat().st_size, _digest_one(path)
    except FileNotFoundError:
        raise InvalidInput(
            f"input {str(path)!r} does not exist", hint="log the path of a file the run reads"
        ) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read input {str(path)!r}: {exc.strerror}") from None


def _digest_one(path: Path) -> str:
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    if path.stat().st_size:
        hasher.update_mmap(str(path))
    return str(hasher.hexdigest())


def _digest_folder(folder: Path) -> tuple[int, str]:
    total = 0
    tree = blake3.blake3()
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            files.append(Path(root, name))
    for file in sorted(files, key=lambda p: p.relative_to(folder).as_posix()):
        size = file.stat().st_size
        total += size
        relative = file.relative_to(folder).as_posix().encode()
        tree.update(relative + b"\0" + str(size).encode() + b"\0" + _digest_one(file).encode())
    return total, str(tree.hexdigest())
