"""The composition root: settings, principal and stores for one process.

Everything that needs the metadata store or the object store gets it from a
:class:`Context`, built once by the CLI, the SDK or the server from the
settings. Resources open lazily, so ``shipyard --help`` never touches a
database. A server serves many principals with one set of resources:
:meth:`Context.as_principal` makes a context for one request that shares them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput, WorkspaceNotFound
from shipyard.core.principal import LOCAL_OWNER, Principal
from shipyard.core.redact import redact_uri
from shipyard.core.settings import Settings
from shipyard.workspace.config import load_settings
from shipyard.workspace.layout import WorkspaceLayout

if TYPE_CHECKING:  # the database layer is imported on first use: it costs ~0.2 s
    from shipyard.auth.api import AuthApi
    from shipyard.client.http import ApiClient
    from shipyard.data.records import DatasetRecords
    from shipyard.data.records_sql import SqlRecords
    from shipyard.monitoring.live.api import Monitors
    from shipyard.objects.api import ProjectObjects
    from shipyard.objects.store import ObjectStore
    from shipyard.projects_io.api import ProjectImports
    from shipyard.registry.api import Aliases, Registry
    from shipyard.store.db import Database
    from shipyard.tracking.backend import TrackingBackend

__all__ = ["Context", "open_context"]


class _Resources:
    """Stores opened for one set of settings, shared by every context derived from it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.db: Database | None = None
        self.remote: ApiClient | None = None
        self.objects: ObjectStore | None = None

    def close(self) -> None:
        with self.lock:
            if self.db is not None:
                self.db.dispose()
                self.db = None
            if self.remote is not None:
                self.remote.close()
                self.remote = None
            if self.objects is not None:
                self.objects.close()
                self.objects = None


class Context:
    """Settings and a principal, plus the stores they name, opened on first use."""

    def __init__(
        self,
        settings: Settings,
        principal: Principal = LOCAL_OWNER,
        *,
        _resources: _Resources | None = None,
    ) -> None:
        self.settings = settings
        self.principal = principal
        self._owner = _resources is None
        self._resources = _resources or _Resources()

    def as_principal(self, principal: Principal) -> Context:
        """A context acting for ``principal`` that shares this one's open stores."""
        return Context(self.settings, principal, _resources=self._resources)

    def for_project(self, project: str) -> Context:
        """A context working in ``project`` (same principal, same open stores)."""
        from dataclasses import replace

        from shipyard.core.settings import ProjectSettings

        settings = replace(self.settings, project=ProjectSettings(name=project))
        return Context(settings, self.principal, _resources=self._resources)

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

    @property
    def is_remote(self) -> bool:
        """True when ``store.uri`` names a Shipyard server (``https://…``) instead of a database."""
        return self.settings.store.uri.startswith(("http://", "https://"))

    @property
    def remote(self) -> ApiClient:
        """The HTTP client of the server ``store.uri`` names (remote mode)."""
        if not self.is_remote:
            raise InvalidInput(
                f"{redact_uri(self.metadata_uri)} is not a Shipyard server",
                hint="set SHIPYARD_URI=https://host:port to work against a team server",
            )
        resources = self._resources
        if resources.remote is None:
            with resources.lock:
                if resources.remote is None:
                    resources.remote = self._open_remote()
        return resources.remote

    def _open_remote(self) -> ApiClient:
        from shipyard.client.credentials import saved_token
        from shipyard.client.http import ApiClient

        url = self.settings.store.uri
        client = self.settings.client
        token = client.token or saved_token(url)
        return ApiClient(
            url,
            token,
            ca_bundle=client.ca_bundle,
            timeout=client.timeout_s,
            retry_deadline_s=client.retry_deadline_s,
        )

    def _refuse_remote(self) -> None:
        if self.is_remote:
            raise InvalidInput(
                f"this needs direct access to the metadata store, and "
                f"{redact_uri(self.metadata_uri)} is a Shipyard server",
                hint="run it where the database is reachable, with --uri postgresql://…",
            )

    @property
    def db(self) -> Database:
        """The metadata store with its schema checked (embedded SQLite upgrades itself)."""
        self._refuse_remote()
        resources = self._resources
        if resources.db is None:
            with resources.lock:
                if resources.db is None:
                    resources.db = self._open_database()
        return resources.db

    def _open_database(self) -> Database:
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

        self._refuse_remote()
        return Database(self.metadata_uri)

    @property
    def objects_dir(self) -> Path:
        return self.layout.objects_dir(self.settings.objects.path)

    @property
    def objects(self) -> ObjectStore:
        """The object store this process holds itself (``objects.path``; default
        ``.shipyard/objects``): the workspace's, or on a team server the server's own.

        For store upkeep (fsck, gc, usage) and for services that run where the
        store is; a project's objects as the SDK and commands see them are
        :attr:`project_objects`, which is this store unless ``store.uri`` names a server.
        """
        resources = self._resources
        if resources.objects is None:
            with resources.lock:
                if resources.objects is None:
                    from shipyard.objects.open import open_workspace_store

                    resources.objects = open_workspace_store(self)
        return resources.objects

    # The seam. Each domain has one interface and two implementations: the services
    # in-process, and the team server's HTTP client. This is the only place that
    # picks one (tests/test_architecture.py keeps it so); callers never ask which they got.

    def open_tracking(self, *, owns_context: bool = False) -> TrackingBackend:
        """Runs of this project; ``owns_context``: closing the backend closes this context."""
        if self.is_remote:
            from shipyard.tracking.remote_backend import RemoteTrackingBackend

            return RemoteTrackingBackend(self, owns_context=owns_context)
        from shipyard.tracking.local_backend import LocalBackend

        return LocalBackend(self, owns_context=owns_context)

    @property
    def project_objects(self) -> ProjectObjects:
        """This project's objects: the team server's (over HTTP), else :attr:`objects`."""
        if self.is_remote:
            from shipyard.objects.http_store import HttpObjectStore

            # Cheap, and owns nothing (the client is shared): one per call, so a
            # context made for another project never sees this one's objects.
            return HttpObjectStore(self.remote, self.project, workers=self.settings.objects.workers)
        return self.objects

    @property
    def tracking(self) -> TrackingBackend:
        """Runs of this project (see :mod:`shipyard.tracking.backend`)."""
        return self.open_tracking()

    @property
    def registry(self) -> Registry:
        """Registered models and versions (see :mod:`shipyard.registry.api`)."""
        if self.is_remote:
            from shipyard.registry.remote import RemoteRegistry

            return RemoteRegistry(self)
        from shipyard.registry.local import LocalRegistry

        return LocalRegistry(self)

    @property
    def aliases(self) -> Aliases:
        """Alias moves, their history, approvals and promotions."""
        if self.is_remote:
            from shipyard.registry.remote import RemoteAliases

            return RemoteAliases(self.remote)
        from shipyard.registry.local import LocalAliases

        return LocalAliases(self)

    @property
    def auth(self) -> AuthApi:
        """Users, roles, tokens and the audit log (see :mod:`shipyard.auth.api`)."""
        if self.is_remote:
            from shipyard.auth.remote import RemoteAuth

            return RemoteAuth(self.remote)
        from shipyard.auth.local import LocalAuth

        return LocalAuth(self)

    @property
    def monitoring(self) -> Monitors:
        """Live monitors' runs and results (see :mod:`shipyard.monitoring.live.api`)."""
        if self.is_remote:
            from shipyard.monitoring.live.remote import RemoteMonitors

            return RemoteMonitors(self)
        from shipyard.monitoring.live.local import LocalMonitors

        return LocalMonitors(self)

    @property
    def project_imports(self) -> ProjectImports:
        """Imports of project archives: into this database and object store, or through
        the team server (see :mod:`shipyard.projects_io.api`)."""
        if self.is_remote:
            from shipyard.projects_io.remote import RemoteImports

            return RemoteImports(self)
        from shipyard.projects_io.importing import LocalImports

        return LocalImports(self)

    def open_datasets(self) -> DatasetRecords:
        """Dataset versions: the server's, the embedded file's (sqlite3 fast path), or the
        database's. A new object each call."""
        if self.is_remote:
            from shipyard.data.records_http import HttpRecords

            return HttpRecords(self.remote)
        from shipyard.data.records_lite import LiteRecords, embedded_path

        path = embedded_path(self.metadata_uri)
        if path is not None:  # SQLAlchemy only once the fast path falls back or reads
            return LiteRecords(path, self._sql_datasets)
        return self._sql_datasets()

    def _sql_datasets(self) -> SqlRecords:
        from shipyard.data.records_sql import SqlRecords

        return SqlRecords(self.db)

    def close(self) -> None:
        """Close the stores, if this context opened them (derived contexts share them)."""
        if self._owner:
            self._resources.close()

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
