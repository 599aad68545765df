"""Keeping tracked data out of git: a ``/name`` line in the ``.gitignore`` beside it."""

from __future__ import annotations

from pathlib import Path

from shipyard.core.errors import InvalidInput

__all__ = ["ignore_in_git"]


def ignore_in_git(root: Path, name: str) -> bool:
    """Add ``/<basename>`` to the ``.gitignore`` of the data's folder; True if it was added."""
    parts = name.split("/")
    folder = root.joinpath(*parts[:-1])
    line = "/" + _escape(parts[-1])
    path = folder / ".gitignore"
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    if line in {entry.strip() for entry in existing.splitlines()}:
        return False
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{prefix}{line}\n")
    except OSError as exc:
        raise InvalidInput(f"cannot update {path}: {exc.strerror or exc}") from None
    return True


def _escape(name: str) -> str:
    """A gitignore pattern matching exactly ``name``."""
    out = []
    for char in name:
        if char in "*?[]\\!#":
            out.append("\\" + char)
        else:
            out.append(char)
    text = "".join(out)
    return text[:-1] + "\\ " if text.endswith(" ") else text
