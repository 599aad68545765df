"""Replacing a file in one step: readers see the old content or the new, never a part.

Every module that rewrites a file (pointers, config, keys, credentials, spools,
reports, caches, generated workflows) goes through :func:`write_atomic`: the
bytes go to a temporary file with a name of its own beside the target (two
writers never share one), then one ``rename`` puts it in place. A failure
removes the temporary file and leaves the target as it was.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(
    path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = False
) -> None:
    """Put ``data`` (text is written as UTF-8) at ``path`` in one rename.

    ``mode``: the file's exact permissions (``0o600`` for a secret); without it
    the file is created as ``open`` would (0666 less the umask). ``durable``:
    flush the bytes to disk before the rename (for files whose loss loses data).
    Raises :class:`OSError` (missing folder, no permission, disk full…) with the
    target unchanged.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    created = 0o600 if mode is not None else 0o666  # a secret is never readable, even briefly
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, created)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # exact: O_CREAT's mode passes the umask
            handle.write(raw)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
