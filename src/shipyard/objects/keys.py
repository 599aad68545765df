"""Making store key files."""

from __future__ import annotations

import os
from pathlib import Path

from shipyard.core.errors import AlreadyExists, InvalidInput
from shipyard.objects.encryption import StoreKey

__all__ = ["write_new_key"]


def write_new_key(path: Path) -> None:
    """Write a new random key to ``path`` (mode 0600); never overwrites a file."""
    key = StoreKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AlreadyExists(
            f"{path} exists already; nothing was changed",
            hint="choose another path: overwriting a key makes its objects unreadable",
        ) from None
    except OSError as exc:
        raise InvalidInput(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.to_text() + "\n")
