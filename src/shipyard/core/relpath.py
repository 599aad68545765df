"""The one check for relative paths that come from untrusted bytes.

Folder listings, pointer names, model manifests, MLflow model files, run
artifacts, inference-log layouts and request bodies all carry paths that
Shipyard later joins to a folder on disk. Every such path goes through
:func:`check_relpath` before it becomes a :class:`~pathlib.Path`; a whole
listing goes through :func:`check_relpaths`. A path passes only if it is:

* text of at most :data:`MAX_PATH_CHARS` characters, each ``/``-separated part
  at most :data:`MAX_PART_BYTES` bytes of UTF-8;
* relative and normalised: no leading ``/``, no drive (``C:``), no empty,
  ``.`` or ``..`` part, no trailing ``/``;
* free of backslashes and control characters (NUL, newlines, C1 codes);
* free of a ``.git`` or ``.shipyard`` part at any depth, however spelt for a
  case-insensitive or Windows filesystem (``.GIT``, ``.git.``, ``git~1``) or
  for macOS's HFS+, which ignores some invisible code points.

Pure: no file is looked at here. Where a checked path meets the disk (symbolic
links, the resolved destination) see :mod:`shipyard.workspace.destinations`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shipyard.core.errors import UnsafePath

__all__ = [
    "MAX_PART_BYTES",
    "MAX_PATH_CHARS",
    "RESERVED_NAMES",
    "check_relpath",
    "check_relpaths",
    "is_reserved",
    "shown",
]

MAX_PATH_CHARS = 4096
"""Linux's PATH_MAX: no destination can be longer."""
MAX_PART_BYTES = 255
"""NAME_MAX of every common filesystem."""
RESERVED_NAMES = frozenset({".git", ".shipyard"})

# Spellings that name the same folder on case-insensitive, Windows (8.3 short
# names) or HFS+ filesystems, as git itself refuses them (verify_path in git's read-cache.c).
_RESERVED_SPELLINGS = RESERVED_NAMES | {"git~1", "shipya~1"}
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
_BAD_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SHOWN_MAX = 120
# Most paths are plain names: parts that start with a letter, digit, "_" or "-"
# cannot be ".", "..", ".git" or a short name; they skip the part-by-part checks.
_PLAIN = re.compile(r"[\w\-][\w.\-]{0,127}(?:/[\w\-][\w.\-]{0,127})*", re.ASCII)


def shown(path: object) -> str:
    """``path`` for a one-line message: control characters escaped, long text cut."""
    text = path if isinstance(path, str) else repr(path)
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def _refuse(path: object, what: str, why: str) -> UnsafePath:
    name = shown(path)
    return UnsafePath(
        f"{what} '{name}' {why}",
        path=name,
        hint="refused: it came from stored or received bytes and could reach outside its folder",
    )


def is_reserved(part: str) -> bool:
    """True for a name that is ``.git`` or ``.shipyard`` on some filesystem."""
    return _reserved(part)


def _reserved(part: str) -> bool:
    folded = _HFS_IGNORED.sub("", part).rstrip(". ").casefold()
    return folded in _RESERVED_SPELLINGS


def check_relpath(path: object, *, what: str = "path") -> str:
    """Return ``path`` unchanged if it is a safe relative path, else raise :class:`UnsafePath`.

    ``what`` names the kind of entry in the message ("entry of folder data/images").
    """
    if not isinstance(path, str):
        raise _refuse(path, what, "is not text")
    if len(path) <= MAX_PATH_CHARS and _PLAIN.fullmatch(path):
        return path
    if not path:
        raise _refuse(path, what, "is empty")
    if len(path) > MAX_PATH_CHARS:
        raise _refuse(path, what, f"is longer than {MAX_PATH_CHARS} characters")
    if _BAD_CHAR.search(path):
        raise _refuse(path, what, "contains a backslash or a control character")
    if path.startswith("/") or _DRIVE.match(path):
        raise _refuse(path, what, "is absolute")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise _refuse(path, what, "is not a plain relative path (empty, '.' or '..' part)")
        try:
            size = len(part.encode("utf-8"))
        except UnicodeEncodeError:
            raise _refuse(path, what, "is not valid Unicode text") from None
        if size > MAX_PART_BYTES:
            raise _refuse(path, what, f"has a part longer than {MAX_PART_BYTES} bytes")
        if _reserved(part):
            raise _refuse(path, what, "names a .git or .shipyard folder")
    return path


def check_relpaths(paths: Iterable[str], *, what: str = "path") -> None:
    """Check every path, and that no two name the same file or a file and its folder."""
    seen: set[str] = set()
    folders: set[str] = set()
    for path in paths:
        check_relpath(path, what=what)
        if path in seen:
            raise _refuse(path, what, "appears twice")
        seen.add(path)
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    clash = seen & folders
    if clash:
        raise _refuse(min(clash), what, "is both a file and a folder")
