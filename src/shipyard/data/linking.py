"""Materialising stored files in the work tree: reflink, hardlink or copy (``data.link``).

``copy`` writes each file from the object store (verified, atomically).
``reflink`` and ``hardlink`` first write each content once into a local file
cache (``.shipyard/cache/files/ab/cdef…``, read-only), then link it into
place, so switching between versions costs a link instead of a copy:

* a *reflink* (copy-on-write clone; btrfs, XFS, APFS…) is always safe: an
  edit of the work-tree file never reaches the cache;
* a *hardlink* shares the file itself, so the work-tree file is left
  read-only, like the cache: to edit one, replace it with a copy (an
  in-place edit after ``chmod +w`` would change the cache too; a cache file
  found writable is dropped and written again before it is linked);
* ``auto`` (the default) reflinks where the filesystem can, and copies
  elsewhere. A link that fails (another filesystem) falls back to a copy.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat as stat_module
import uuid
from pathlib import Path

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, Unavailable
from shipyard.objects.leftovers import scratch_path
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.store import ObjectStore

__all__ = ["Linker"]

_FICLONE = 0x40049409  # ioctl number of FICLONE on Linux
_READ_ONLY = stat_module.S_IRUSR | stat_module.S_IRGRP | stat_module.S_IROTH


class Linker:
    """Writes files of the store into the work tree in the configured way."""

    def __init__(self, store: ObjectStore, cache_dir: Path, mode: str) -> None:
        if mode not in ("auto", "reflink", "hardlink", "copy"):
            raise InvalidInput(f"unknown link mode {mode!r}", hint="auto, reflink, hardlink, copy")
        self.store = store
        self.cache_dir = cache_dir
        self.mode = self._effective(mode)

    def _effective(self, mode: str) -> str:
        if mode != "auto":
            return mode
        return "reflink" if _can_reflink(self.cache_dir) else "copy"

    def materialise(
        self, items: list[tuple[Digest, Path]], *, progress: Progress | None = None
    ) -> None:
        """Write each digest's content at its path (replacing what is there, atomically)."""
        progress = progress or NO_PROGRESS
        if not items:
            return
        if self.mode == "copy":
            self._copy(items, progress)
            return
        sources = {d: self._cached(d) for d, _ in items}
        wanted = [(d, p) for d, p in sources.items() if not _usable(p)]
        if wanted:
            self._copy(wanted, progress)
            for _, path in wanted:
                os.chmod(path, _READ_ONLY)
        for digest, dest in items:
            self._link(sources[digest], dest)

    def _copy(self, items: list[tuple[Digest, Path]], progress: Progress) -> None:
        if len(items) == 1:
            self.store.get_file(items[0][0], items[0][1], progress=progress)
        else:
            self.store.get_files(items, progress=progress)

    def _cached(self, digest: Digest) -> Path:
        return self.cache_dir / digest.hex[:2] / digest.hex[2:]

    def _link(self, source: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = scratch_path(dest)
        try:
            if self.mode == "reflink":
                _reflink(source, tmp)
            else:
                os.link(source, tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if exc.errno in (
                errno.EXDEV,
                errno.EOPNOTSUPP,
                errno.ENOTTY,
                errno.EINVAL,
                errno.EPERM,
            ):
                _copy_file(source, dest)  # another filesystem, or no clones: copy instead
                return
            raise Unavailable(f"cannot write {dest}: {exc.strerror or exc}") from None


def _usable(path: Path) -> bool:
    """A cache file can be linked if it exists and nobody made it writable (and edited it)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    if st.st_mode & (stat_module.S_IWUSR | stat_module.S_IWGRP | stat_module.S_IWOTH):
        path.unlink(missing_ok=True)
        return False
    return True


def _reflink(source: Path, dest: Path) -> None:
    with open(source, "rb") as src, open(dest, "wb") as out:
        fcntl.ioctl(out.fileno(), _FICLONE, src.fileno())
    os.chmod(dest, 0o644)


def _copy_file(source: Path, dest: Path) -> None:
    import shutil

    tmp = scratch_path(dest)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise Unavailable(f"cannot write {dest}: {exc.strerror or exc}") from None


_REFLINK_SUPPORT: dict[str, bool] = {}


def _can_reflink(folder: Path) -> bool:
    """Whether the filesystem of ``folder`` clones files (probed once per process)."""
    key = str(folder)
    if key not in _REFLINK_SUPPORT:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{uuid.uuid4().hex[:8]}"
        clone = folder / f".probe-{uuid.uuid4().hex[:8]}"
        try:
            probe.write_bytes(b"shipyard")
            _reflink(probe, clone)
            _REFLINK_SUPPORT[key] = True
        except OSError:
            _REFLINK_SUPPORT[key] = False
        finally:
            probe.unlink(missing_ok=True)
            clone.unlink(missing_ok=True)
    return _REFLINK_SUPPORT[key]
