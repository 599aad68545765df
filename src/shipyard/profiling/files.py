"""Writing a report or profile file: all or nothing, with a one-line error."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from shipyard.core.errors import InvalidInput

__all__ = ["write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    A failure leaves any previous file untouched and raises :class:`InvalidInput`
    naming the path (missing folder, no permission, disk full…).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from exc
