"""Scratch files of interrupted writes outside the object store, found and removed.

Every file Shipyard writes into a user's folder (a checkout, a download, a
pulled model) is first written beside its destination as
``.NAME.<12 hex>.shipyard-tmp`` and renamed into place. A process killed in
between leaves that file behind. Domains that write such files register a
*leftover source* (a function of the context yielding the scratch files it
finds in its folders); ``shipyard fsck`` lists them and ``shipyard gc``
removes those older than its grace period. Register at import time of a
module in :data:`~shipyard.objects.references.REFERENCE_MODULES`.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = [
    "SCRATCH_SUFFIX",
    "LeftoverSource",
    "find_leftovers",
    "is_scratch_name",
    "register_leftover_source",
    "remove_leftovers",
    "scratch_path",
]

SCRATCH_SUFFIX = ".shipyard-tmp"
_SCRATCH_NAME = re.compile(r"\..+\.[0-9a-f]{12}" + re.escape(SCRATCH_SUFFIX), re.DOTALL)

LeftoverSource = Callable[["Context"], Iterable[Path]]
_SOURCES: dict[str, LeftoverSource] = {}
_LOCK = threading.Lock()


def scratch_path(dest: Path) -> Path:
    """Where a write of ``dest`` stages its bytes before the rename."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}{SCRATCH_SUFFIX}")


def is_scratch_name(name: str) -> bool:
    """True for a file name :func:`scratch_path` makes."""
    return name.endswith(SCRATCH_SUFFIX) and _SCRATCH_NAME.fullmatch(name) is not None


def register_leftover_source(name: str, source: LeftoverSource) -> None:
    with _LOCK:
        _SOURCES[name] = source


def find_leftovers(ctx: Context) -> list[Path]:
    """Every scratch file the registered sources find, sorted."""
    from shipyard.objects.references import reference_sources

    reference_sources()  # imports the domains' modules, which register their sources
    with _LOCK:
        sources = list(_SOURCES.values())
    found: set[Path] = set()
    for source in sources:
        found.update(source(ctx))
    return sorted(found)


def remove_leftovers(
    paths: Iterable[Path], *, older_than: float, dry_run: bool = False
) -> list[Path]:
    """Delete (or only list) the scratch files last changed before ``older_than``."""
    removed = []
    for path in paths:
        try:
            if not is_scratch_name(path.name) or os.lstat(path).st_mtime >= older_than:
                continue
            if not dry_run:
                path.unlink()
        except OSError:
            continue  # gone meanwhile, or not ours to remove
        removed.append(path)
    return removed
