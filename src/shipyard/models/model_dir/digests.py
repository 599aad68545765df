"""BLAKE3 digests of the files of a model directory, and checking them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from shipyard.core.errors import IntegrityError, UnsafePath
from shipyard.core.model_manifest import MANIFEST_FILE, SIGNATURE_FILE, FileEntry
from shipyard.core.relpath import shown

__all__ = ["digest_file", "digest_tree", "list_files", "verify_files"]

_CHUNK = 1 << 20
_NOT_CONTENT = frozenset({MANIFEST_FILE, SIGNATURE_FILE})


def digest_file(path: Path) -> str:
    """The BLAKE3 hex digest of a file's bytes."""
    from blake3 import blake3

    hasher = blake3()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def list_files(directory: Path) -> list[str]:
    """Relative POSIX paths of the regular files under ``directory``, except the manifest
    and the signature; refuses symbolic links (they could point outside)."""
    found = []
    for root, dirs, files in os.walk(directory):
        here = Path(root)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                raise _link(here / name, directory)
        for name in files:
            path = here / name
            relative = path.relative_to(directory).as_posix()
            if path.is_symlink():
                raise _link(path, directory)
            if relative in _NOT_CONTENT:
                continue
            if not path.is_file():
                raise IntegrityError(f"{relative} is not a regular file", object_id=relative)
            found.append(relative)
    return sorted(found)


def _link(path: Path, directory: Path) -> UnsafePath:
    # A link could make a reader (onnxruntime's external data, a PythonModel's
    # load_files) read any file it points at: refused as a path leaving the folder.
    relative = shown(path.relative_to(directory).as_posix())
    return UnsafePath(
        f"model file {relative} in {directory} is a symbolic link; a model directory holds "
        "only regular files",
        path=relative,
        hint="replace the link with the file itself, or save the model again",
    )


def digest_tree(directory: Path) -> tuple[FileEntry, ...]:
    """A manifest entry for every content file under ``directory``."""
    return tuple(
        FileEntry(path=p, blake3=digest_file(directory / p), size=(directory / p).stat().st_size)
        for p in list_files(directory)
    )


def verify_files(directory: Path, entries: Iterable[FileEntry]) -> None:
    """Check that ``directory`` holds exactly ``entries`` with matching digests.

    Raises :class:`IntegrityError` naming the first missing, changed or
    unexpected file (``object_id`` is its path).
    """
    expected = {e.path: e for e in entries}
    present = list_files(directory)
    for path in sorted(expected):
        entry = expected[path]
        file = directory / path
        if not file.is_file():
            raise IntegrityError(
                f"model file {path} is missing from {directory}",
                object_id=path,
                hint="the model directory is incomplete: copy it again from its source",
            )
        if file.stat().st_size != entry.size or digest_file(file) != entry.blake3:
            raise IntegrityError(
                f"model file {path} was modified: its BLAKE3 digest does not match the manifest",
                object_id=path,
                hint="the model may have been tampered with: do not load it; fetch it again",
            )
    extra = sorted(set(present) - set(expected))
    if extra:
        raise IntegrityError(
            f"model directory {directory} holds a file the manifest does not list: {extra[0]}",
            object_id=extra[0],
            hint="remove it, or save the model again",
        )
