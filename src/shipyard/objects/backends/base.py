"""The narrow seam between the object store and where bytes live.

A backend stores opaque byte strings under ``/``-separated keys (the layout
is decided above it, in :mod:`shipyard.core.object_layout`). It knows nothing
of digests, records or encryption. Its contract, checked for every
implementation by ``tests/contracts/test_object_backends.py``:

* ``write`` is atomic: a reader sees the whole value or no value, never a
  part, even if the writer dies; writing an existing key replaces it.
* ``read`` returns the value (or ``length`` bytes from ``start``) and raises
  :class:`NotFound` for a missing key.
* ``list`` yields every complete key under a prefix (never scratch files),
  with its size and modification time; ``stat`` and ``exists`` look at one.
* ``delete`` and ``delete_many`` remove keys; a missing key is not an error.
* Every method may be called from many threads at once.
* Failures are :class:`ShipyardError` subclasses (``Unavailable``,
  ``PermissionDenied``…), never a foreign exception.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Backend", "Data", "KeyInfo", "RequestCounter", "as_bytes"]

Data = bytes | memoryview | Sequence[bytes | memoryview]


def as_bytes(data: Data) -> bytes | memoryview:
    """``data`` as one buffer (joining parts; a single buffer is returned as is)."""
    if isinstance(data, bytes | memoryview | bytearray):
        return data
    return b"".join(data)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key: str
    size: int
    modified: float
    """Seconds since the epoch (UTC) of the last write."""


@runtime_checkable
class Backend(Protocol):
    url: str
    """Where the bytes live, for messages (never holds a secret)."""
    remote: bool
    """True when each request is costly (a network round trip): prefer listing to asking."""

    @property
    def requests(self) -> int:
        """Requests made so far (HTTP requests for S3, file operations for a folder)."""
        ...

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes: ...

    def write(self, key: str, data: Data) -> None:
        """Store ``data`` (bytes, or a sequence of parts written back to back)."""
        ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> KeyInfo | None: ...

    def list(self, prefix: str = "") -> Iterator[KeyInfo]: ...

    def delete(self, key: str) -> None: ...

    def delete_many(self, keys: Iterable[str]) -> None: ...

    def close(self) -> None: ...


class RequestCounter:
    """A thread-safe counter of requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self._value += n

    @property
    def value(self) -> int:
        return self._value
