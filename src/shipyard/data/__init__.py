"""Dataset versioning from Python: the same operations as ``shipyard data …``.

::

    import shipyard.data

    shipyard.data.add("data/train.parquet")                 # store, pointer, version record
    path = shipyard.data.open("data/train.parquet", rev="v1.0")   # a local path of that version
    frame = shipyard.data.read_table("data/train.parquet", rev="HEAD~3")
    shipyard.data.push()                                     # to the default remote

Every function works in the workspace around the current folder, or in the
one ``context`` names (``shipyard.open_context(path)``). Nothing heavy is
imported until a function is called. See docs/data.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from shipyard.context import Context
    from shipyard.data.adding import AddResult
    from shipyard.data.checkouts import CheckoutResult
    from shipyard.data.diffs import DatasetDiff
    from shipyard.data.history import LogEntry, Shown
    from shipyard.data.pointer import Pointer
    from shipyard.data.records import DatasetVersion
    from shipyard.data.service import DataService
    from shipyard.data.statuses import PathStatus
    from shipyard.data.sync import SyncResult

__all__ = [
    "add",
    "checkout",
    "diff",
    "log",
    "ls",
    "open",
    "pull",
    "push",
    "read_table",
    "show",
    "status",
    "versions",
]

PathLike = str | Path


class _Service:
    """A service over the given context, or over one opened for the current folder."""

    def __init__(self, context: Context | None) -> None:
        from shipyard.context import open_context
        from shipyard.data.service import DataService

        self._own = context is None
        self.ctx = context if context is not None else open_context()
        self.service: DataService = DataService(self.ctx)

    def __enter__(self) -> DataService:
        return self.service

    def __exit__(self, *_: object) -> None:
        if self._own:
            self.ctx.close()


def _paths(paths: PathLike | list[PathLike] | None) -> list[str | Path] | None:
    if paths is None:
        return None
    return [paths] if isinstance(paths, str | Path) else list(paths)


def add(
    paths: PathLike | list[PathLike],
    *,
    message: str = "",
    profile: bool = True,
    context: Context | None = None,
) -> list[AddResult]:
    """Store files or folders, write ``PATH.yard`` pointers, record the versions."""
    with _Service(context) as service:
        return service.add(_paths(paths) or [], message=message, profile=profile)


def status(
    paths: PathLike | list[PathLike] | None = None, *, context: Context | None = None
) -> list[PathStatus]:
    with _Service(context) as service:
        return service.status(_paths(paths))


def diff(
    rev_a: str | None = None, rev_b: str | None = None, *, context: Context | None = None
) -> list[DatasetDiff]:
    with _Service(context) as service:
        return service.diff(rev_a, rev_b)


def checkout(
    paths: PathLike | list[PathLike] | None = None,
    *,
    rev: str | None = None,
    force: bool = False,
    context: Context | None = None,
) -> list[CheckoutResult]:
    with _Service(context) as service:
        return service.checkout(_paths(paths), rev=rev, force=force)


def push(
    paths: PathLike | list[PathLike] | None = None,
    *,
    remote: str | None = None,
    context: Context | None = None,
) -> SyncResult:
    with _Service(context) as service:
        return service.push(_paths(paths), remote=remote)


def pull(
    paths: PathLike | list[PathLike] | None = None,
    *,
    remote: str | None = None,
    rev: str | None = None,
    context: Context | None = None,
) -> SyncResult:
    with _Service(context) as service:
        return service.pull(_paths(paths), remote=remote, rev=rev)


def ls(*, rev: str | None = None, context: Context | None = None) -> list[Pointer]:
    with _Service(context) as service:
        return service.ls(rev=rev)


def log(path: PathLike, *, context: Context | None = None) -> list[LogEntry]:
    with _Service(context) as service:
        return service.log(path)


def show(path: PathLike, *, rev: str | None = None, context: Context | None = None) -> Shown:
    with _Service(context) as service:
        return service.show(path, rev=rev)


def versions(path: PathLike, *, context: Context | None = None) -> list[DatasetVersion]:
    """The versions of a dataset recorded in the metadata store, newest first."""
    with _Service(context) as service:
        return service.versions(path)


def open(path: PathLike, *, rev: str | None = None, context: Context | None = None) -> Path:
    """A local path holding ``path`` as of git revision ``rev`` (default: the pointer now).

    The work tree's own file when it is that version; otherwise a read-only
    copy under ``.shipyard/cache/open/``. Raises ``NotFound`` (suggesting
    ``pull``) when the version's objects are not in the local store.
    """
    with _Service(context) as service:
        return service.open(path, rev=rev)


def read_table(
    path: PathLike,
    *,
    rev: str | None = None,
    columns: list[str] | None = None,
    kind: Literal["pandas", "arrow"] = "pandas",
    context: Context | None = None,
) -> pd.DataFrame | pa.Table | Any:
    """A tracked CSV/Parquet file (or folder of Parquet files) at ``rev`` as a table."""
    from shipyard.data.opening import read_table as read

    local = open(path, rev=rev, context=context)
    return read(local, columns=columns, kind=kind)
