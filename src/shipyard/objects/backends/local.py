"""A backend in a local folder: temp file + fsync + rename for every write."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from shipyard.core.errors import NotFound, PermissionDenied, Unavailable
from shipyard.core.object_layout import TMP_PREFIX
from shipyard.objects.backends.base import Data, KeyInfo, RequestCounter
from shipyard.objects.backends.scratch import DIRECT_FROM, ScratchFile, ScratchFiles

__all__ = ["LocalBackend"]


class LocalBackend:
    """Keys are files under ``root``; scratch files live in ``root/tmp/``.

    A write goes to a unique file in ``tmp/`` (same filesystem), is flushed
    with ``fsync`` and renamed over the key: the rename is atomic, so a reader
    or a crash never exposes a partial value. Leftover scratch files of killed
    writers are invisible to ``list`` and removed by ``gc``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = str(self.root)
        self._prefix = self.url.rstrip("/") + "/"
        self.remote = False
        self._tmp = self.root / TMP_PREFIX.rstrip("/")
        self._counter = RequestCounter()
        self._scratch = ScratchFiles(self._tmp)

    def __repr__(self) -> str:
        return f"LocalBackend({self.url!r})"

    @property
    def requests(self) -> int:
        return self._counter.value

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad key {key!r}")
        return self.root / key

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        self._counter.add()
        path = self._path(key)
        try:
            with path.open("rb", buffering=0) as handle:
                if length is None:
                    handle.seek(start)
                    return handle.read()
                return os.pread(handle.fileno(), length, start)
        except FileNotFoundError:
            raise NotFound(f"{key} does not exist in {self.url}") from None
        except OSError as exc:
            raise _translate(exc, path) from exc

    def write(self, key: str, data: Data) -> None:
        parts = [data] if isinstance(data, bytes | memoryview | bytearray) else list(data)
        stream = self.open_stream(direct=sum(len(p) for p in parts) >= DIRECT_FROM)
        for part in parts:
            self.write_stream(stream, part)
        self.commit_stream(stream, key)

    def open_stream(self, *, direct: bool = True, background: bool = False) -> ScratchFile:
        """A value to write piece by piece: ``commit_stream`` stores it, ``abort_stream``
        drops it. Until then it is a scratch file that nobody sees. ``background``:
        see :meth:`ScratchFiles.create`."""
        self._counter.add()
        try:
            return self._scratch.create(direct=direct, background=background)
        except OSError as exc:
            raise _translate(exc, self._tmp) from exc

    def write_stream(self, stream: ScratchFile, data: bytes | bytearray | memoryview) -> None:
        """Append to ``stream``; on failure (a full disk…) the stream is dropped."""
        try:
            stream.write(data)
        except BaseException as exc:
            stream.abort()
            if isinstance(exc, OSError):
                raise _translate(exc, self._tmp) from exc
            raise

    def commit_stream(self, stream: ScratchFile, key: str) -> None:
        target = self._path(key)
        try:
            stream.commit(target)
        except OSError as exc:
            stream.abort()
            raise _translate(exc, target) from exc

    def abort_stream(self, stream: ScratchFile) -> None:
        stream.abort()

    def _str_path(self, key: str) -> str:
        """As :meth:`_path`, without building a ``Path`` (existence checks run per object)."""
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad key {key!r}")
        return self._prefix + key

    def exists(self, key: str) -> bool:
        self._counter.add()
        return os.path.isfile(self._str_path(key))

    def stat(self, key: str) -> KeyInfo | None:
        self._counter.add()
        try:
            st = os.stat(self._str_path(key))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _translate(exc, self._path(key)) from exc
        return KeyInfo(key, st.st_size, st.st_mtime)

    def list(self, prefix: str = "") -> Iterator[KeyInfo]:
        self._counter.add()
        folder, _, stem = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        yield from self._walk(base, folder + "/" if folder else "", stem)

    def _walk(self, folder: Path, key_prefix: str, stem: str) -> Iterator[KeyInfo]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise _translate(exc, folder) from exc
        for entry in entries:
            if stem and not entry.name.startswith(stem):
                continue
            key = key_prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if key + "/" == TMP_PREFIX:
                    continue
                yield from self._walk(Path(entry.path), key + "/", "")
            elif entry.is_file(follow_symlinks=False):
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                yield KeyInfo(key, st.st_size, st.st_mtime)

    def delete(self, key: str) -> None:
        self._counter.add()
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _translate(exc, self._path(key)) from exc

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    def scratch_files(self) -> Iterator[KeyInfo]:
        """Leftover scratch files (of writers that died), for ``gc``."""
        yield from self._walk(self._tmp, TMP_PREFIX, "")

    def close(self) -> None:
        pass


def _translate(exc: OSError, path: Path) -> Exception:
    if isinstance(exc, PermissionError):
        return PermissionDenied(
            f"no permission to use {path}", hint="check the folder's owner and mode"
        )
    return Unavailable(f"cannot use {path}: {exc.strerror or exc}", hint="check the disk")
