"""Progress reporting and the statistics of a transfer.

Long operations take a :class:`Progress` (or None). They call ``begin`` once
per phase with a total when it is known, then ``advance`` as work completes,
possibly from several threads at once. The CLI turns this into Rich progress
bars (``shipyard.cli.progress``); the SDK default reports nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["NO_PROGRESS", "Progress", "TransferStats"]


class Progress(Protocol):
    def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
        """A new phase starts; ``unit`` is ``"bytes"`` or ``"objects"``."""
        ...

    def advance(self, amount: int) -> None:
        """``amount`` more units of the current phase are done (thread-safe)."""
        ...


class _NoProgress:
    def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()


@dataclass
class TransferStats:
    """What a put, copy or delete did; counters are safe to bump from threads."""

    objects: int = 0
    """Records written (blobs, chunks, manifests)."""
    bytes: int = 0
    """Content bytes written (before framing and encryption)."""
    skipped: int = 0
    """Records not written because the destination had them already."""
    skipped_bytes: int = 0
    packs: int = 0
    requests: int = 0
    """Backend requests made by the operation, on both sides (filled in at the end)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def wrote(self, size: int) -> None:
        with self._lock:
            self.objects += 1
            self.bytes += size

    def skip(self, size: int) -> None:
        with self._lock:
            self.skipped += 1
            self.skipped_bytes += size

    def packed(self) -> None:
        with self._lock:
            self.packs += 1

    def to_dict(self) -> dict[str, int]:
        return {
            "objects": self.objects,
            "bytes": self.bytes,
            "skipped": self.skipped,
            "skipped_bytes": self.skipped_bytes,
            "packs": self.packs,
            "requests": self.requests,
        }
