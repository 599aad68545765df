"""``DataService``: dataset versioning, callable in-process (the CLI and the SDK use it).

Each method opens what it needs for one operation (see
:class:`~shipyard.data.workspace.DataWorkspace`) and closes it. Writes to
the metadata store go through the records seam, which checks the
principal's role (contributors add versions, viewers read them) and audits
every change. The operations themselves live in one module each: ``add``,
``status``, ``checkout``, ``diff``, ``sync`` (push, pull, get), ``history``
(ls, log, show) and ``opening`` (local paths and tables of any version).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.principal import Role
from shipyard.data.workspace import DataWorkspace

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.data.adding import AddResult
    from shipyard.data.checkouts import CheckoutResult
    from shipyard.data.diffs import DatasetDiff
    from shipyard.data.history import LogEntry, Shown
    from shipyard.data.pointer import Pointer
    from shipyard.data.records import DatasetSummary, DatasetVersion
    from shipyard.data.remotes import Remote
    from shipyard.data.statuses import PathStatus
    from shipyard.data.sync import SyncResult
    from shipyard.objects.progress import Progress

__all__ = ["DataService"]


class DataService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @contextmanager
    def workspace(self) -> Iterator[DataWorkspace]:
        with DataWorkspace(self.ctx) as ws:
            yield ws

    def _names(self, ws: DataWorkspace, paths: Sequence[str | Path] | None) -> list[str] | None:
        if not paths:
            return None
        return [ws.name_of(p) for p in paths]

    def _require(self, role: Role, action: str) -> None:
        self.ctx.principal.require(role, self.ctx.project, action)

    # -- changing the work tree ---------------------------------------------------------

    def add(
        self,
        paths: Sequence[str | Path],
        *,
        message: str = "",
        profile: bool = True,
        progress: Progress | None = None,
    ) -> list[AddResult]:
        """Store files or folders, write their pointers and record new versions."""
        from shipyard.data.adding import add_paths

        self._require(Role.CONTRIBUTOR, "add dataset versions")
        with self.workspace() as ws:
            return add_paths(
                ws, [str(p) for p in paths], message=message, profile=profile, progress=progress
            )

    def checkout(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        rev: str | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> list[CheckoutResult]:
        """Make the work tree hold the versions the pointers name (at ``rev``)."""
        from shipyard.data.checkouts import checkout

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return checkout(ws, self._names(ws, paths), rev=rev, force=force, progress=progress)

    def push(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        remote: str | None = None,
        rev: str | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        from shipyard.data.sync import push

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return push(ws, self._names(ws, paths), remote=remote, rev=rev, progress=progress)

    def pull(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        remote: str | None = None,
        rev: str | None = None,
        checkout: bool = True,
        force: bool = False,
        progress: Progress | None = None,
    ) -> SyncResult:
        from shipyard.data.sync import pull

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return pull(
                ws, self._names(ws, paths), remote=remote, rev=rev, run_checkout=checkout,
                force=force, progress=progress,
            )  # fmt: skip

    # -- looking ----------------------------------------------------------------------

    def status(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        remote: str | None = None,
        check_remote: bool = False,
    ) -> list[PathStatus]:
        from shipyard.data.statuses import status

        with self.workspace() as ws:
            return status(ws, self._names(ws, paths), remote=remote, check_remote=check_remote)

    def diff(
        self,
        rev_a: str | None = None,
        rev_b: str | None = None,
        paths: Sequence[str | Path] | None = None,
    ) -> list[DatasetDiff]:
        from shipyard.data.diffs import diff

        with self.workspace() as ws:
            return diff(ws, rev_a, rev_b, self._names(ws, paths))

    def ls(self, *, rev: str | None = None) -> list[Pointer]:
        from shipyard.data.history import ls

        with self.workspace() as ws:
            return ls(ws, rev)

    def log(self, path: str | Path, *, limit: int = 50) -> list[LogEntry]:
        from shipyard.data.history import log

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return log(ws, ws.name_of(path), limit=limit)

    def show(self, path: str | Path, *, rev: str | None = None) -> Shown:
        from shipyard.data.history import show

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return show(ws, str(path), rev=rev)

    def open(self, path: str | Path, *, rev: str | None = None) -> Path:
        """A local path holding ``path`` as of ``rev`` (the work tree's file when it matches)."""
        from shipyard.data.opening import open_version

        self._require(Role.VIEWER, "read datasets")
        with self.workspace() as ws:
            return open_version(ws, str(path), rev=rev)

    # -- records ------------------------------------------------------------------------

    def datasets(self) -> list[DatasetSummary]:
        with self.workspace() as ws:
            return ws.records.datasets(self.ctx.principal, self.ctx.project)

    def versions(self, path: str | Path) -> list[DatasetVersion]:
        with self.workspace() as ws:
            return ws.records.versions(self.ctx.principal, self.ctx.project, ws.name_of(path))

    # -- remotes ------------------------------------------------------------------------

    def remotes(self) -> list[Remote]:
        from shipyard.data.remotes import resolve_remote

        root = self.ctx.layout.root
        return [
            resolve_remote(self.ctx.settings, r.name, root=root) for r in self.ctx.settings.remotes
        ]

    def default_remote(self) -> str:
        from shipyard.data.remotes import default_remote

        found = default_remote(self.ctx.settings, root=self.ctx.layout.root)
        return (found.name or "") if found else ""

    def add_remote(
        self,
        name: str,
        url: str,
        *,
        default: bool = False,
        endpoint_url: str = "",
        region: str = "",
        replace: bool = False,
    ) -> bool:
        """Add ``[remotes.NAME]`` to config.toml; True if it became the default remote."""
        from shipyard.data.remotes import add_remote

        self._require(Role.MAINTAINER, "configure data remotes")
        return add_remote(
            self.ctx.layout.config_file, name, url, default=default, endpoint_url=endpoint_url,
            region=region, replace=replace,
        )  # fmt: skip

    def remove_remote(self, name: str) -> None:
        from shipyard.data.remotes import remove_remote

        self._require(Role.MAINTAINER, "configure data remotes")
        remove_remote(self.ctx.layout.config_file, name)

    def set_default_remote(self, name: str) -> None:
        from shipyard.data.remotes import set_default_remote

        self._require(Role.MAINTAINER, "configure data remotes")
        set_default_remote(self.ctx.layout.config_file, name)
