"""Writing a report or profile file: all or nothing, with a one-line error."""

from __future__ import annotations

from pathlib import Path

from shipyard.core.errors import InvalidInput
from shipyard.workspace.atomic import write_atomic

__all__ = ["write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    A failure leaves any previous file untouched and raises :class:`InvalidInput`
    naming the path (missing folder, no permission, disk full…).
    """
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from exc
