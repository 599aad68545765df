"""The composition root: settings, principal and stores for one process.

Everything that needs the metadata store or the object store gets it
from a :class:`Context`, built once by the CLI or the SDK from the settings.
Resources open lazily, so ``shipyard --help`` never touches a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import WorkspaceNotFound
from shipyard.core.principal import LOCAL_OWNER, Principal
from shipyard.core.settings import Settings
from shipyard.workspace.config import load_settings
from shipyard.workspace.layout import WorkspaceLayout

if TYPE_CHECKING:  # the database layer is imported on first use: it costs ~0.2 s
    from shipyard.objects.store import ObjectStore
    from shipyard.store.db import Database

__all__ = ["Context", "open_context"]


class Context:
    """Settings plus the stores they name, opened on first use."""

    def __init__(self, settings: Settings, principal: Principal = LOCAL_OWNER) -> None:
        self.settings = settings
        self.principal = principal

    @property
    def project(self) -> str:
        return self.settings.project.name

    @property
    def layout(self) -> WorkspaceLayout:
        """The workspace's paths; raises :class:`WorkspaceNotFound` outside a workspace."""
        if self.settings.workspace is None:
            raise WorkspaceNotFound(
                f"no Shipyard workspace in {Path.cwd()} or any parent folder",
                hint="run `shipyard init` in your project folder first",
            )
        return WorkspaceLayout(self.settings.workspace)

    @property
    def metadata_uri(self) -> str:
        """The configured metadata store, or the workspace's embedded SQLite file."""
        return self.settings.store.uri or self.layout.embedded_uri

    @property
    def embedded(self) -> bool:
        return not self.settings.store.uri

    @cached_property
    def db(self) -> Database:
        """The metadata store with its schema checked (embedded SQLite upgrades itself)."""
        from shipyard.store.db import Database
        from shipyard.store.migrate import ensure_schema

        db = Database(self.metadata_uri)
        try:
            ensure_schema(db, auto_upgrade=db.dialect == "sqlite")
        except BaseException:
            db.dispose()
            raise
        return db

    def database_unchecked(self) -> Database:
        """The metadata store without the schema check (for ``db upgrade`` and ``doctor``)."""
        from shipyard.store.db import Database

        return Database(self.metadata_uri)

    @property
    def objects_dir(self) -> Path:
        return self.layout.objects_dir(self.settings.objects.path)

    @cached_property
    def objects(self) -> ObjectStore:
        """The workspace's object store (``objects.path``; default ``.shipyard/objects``)."""
        from shipyard.objects.open import open_workspace_store

        return open_workspace_store(self)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
            del self.__dict__["db"]
        if "objects" in self.__dict__:
            self.objects.close()
            del self.__dict__["objects"]

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_context(
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    principal: Principal = LOCAL_OWNER,
) -> Context:
    """Load settings for ``cwd`` (default: the current folder) and wrap them in a context."""
    return Context(load_settings(cwd, env, flags), principal)
