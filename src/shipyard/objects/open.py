"""Opening stores: the workspace's own (``ctx.objects``), or any other by URL or path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.errors import InvalidInput, WorkspaceNotFound
from shipyard.objects.backends.base import Backend
from shipyard.objects.backends.local import LocalBackend
from shipyard.objects.encryption import StoreKey, load_store_key
from shipyard.objects.marker import open_marker
from shipyard.objects.store import ObjectStore

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.core.settings import Settings
    from shipyard.objects.api import ProjectObjects
    from shipyard.objects.http_store import HttpObjectStore

__all__ = [
    "make_backend",
    "open_remote",
    "open_server_store",
    "open_store",
    "open_workspace_store",
    "store_key",
    "workspace_backend",
]


def make_backend(
    location: str | Path, *, endpoint_url: str | None = None, region: str | None = None
) -> Backend:
    """A backend for ``s3://bucket/prefix`` or a folder path (``file://`` allowed)."""
    text = str(location)
    if text.startswith("s3://"):
        from shipyard.objects.backends.s3 import S3Backend

        return S3Backend(text, endpoint_url=endpoint_url, region=region)
    if text.startswith("file://"):
        text = text[len("file://") :]
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        hint = "use a folder path or s3://bucket/prefix"
        if scheme in ("http", "https"):
            hint = "a team server is a remote: open it with open_remote(), not as a store"
        raise InvalidInput(f"unsupported object store {scheme}://", hint=hint)
    if not text:
        raise InvalidInput("an object store location is empty")
    return LocalBackend(Path(text))


def open_store(
    location: str | Path | Backend,
    *,
    key: StoreKey | None = None,
    encrypt: bool = False,
    endpoint_url: str | None = None,
    region: str | None = None,
    cache_dir: Path | None = None,
    workers: int = 8,
    create: bool = True,
) -> ObjectStore:
    """Open (creating it if empty, unless ``create`` is false) the store at ``location``.

    ``location`` is a folder, ``s3://bucket/prefix``, or a ready-made backend.

    ``key`` is needed for an encrypted store; ``encrypt`` makes a new store
    encrypted and refuses a plain one. Raises :class:`ConfigError` for key
    problems, :class:`Unavailable` when the location cannot be reached.
    """
    if isinstance(location, str | Path):
        backend = make_backend(location, endpoint_url=endpoint_url, region=region)
    else:
        backend = location
    try:
        marker, codec = open_marker(backend, key=key, encrypt=encrypt, create=create)
    except BaseException:
        backend.close()
        raise
    return ObjectStore(backend, marker, codec, cache_dir=cache_dir, workers=workers)


def store_key(settings: Settings, env: Mapping[str, str] | None = None) -> StoreKey | None:
    """The store key named by the settings (key file, else the key variable), if any."""
    return load_store_key(
        key_file=settings.objects.key_file,
        key_env=settings.objects.key_env,
        env=os.environ if env is None else env,
        base=settings.dot_dir,
    )


def open_remote(
    settings: Settings,
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    create: bool = True,
) -> ProjectObjects:
    """A remote store for push/pull, with the S3 options and key from the settings.

    ``url`` is a folder, ``s3://bucket/prefix``, or a team server
    (``https://host:port``): then the objects of the settings' project there,
    reached with ``SHIPYARD_TOKEN`` (or the token ``shipyard login`` saved) and
    ``client.ca_bundle``; the server keeps (and encrypts) its store its own way.
    A folder or bucket remote is encrypted with the workspace's key when
    ``objects.encrypt`` is on.
    """
    if url.startswith(("http://", "https://")):
        return open_server_store(settings, url)
    return _open_location(settings, url, endpoint_url=endpoint_url, region=region, create=create)


def _open_location(
    settings: Settings,
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    create: bool = True,
) -> ObjectStore:
    cache = settings.dot_dir / "cache" / "packs" if settings.dot_dir is not None else None
    return open_store(
        url,
        key=store_key(settings),
        encrypt=settings.objects.encrypt,
        endpoint_url=endpoint_url or settings.objects.s3_endpoint_url or None,
        region=region or settings.objects.s3_region or None,
        cache_dir=cache if url.startswith("s3://") else None,
        workers=settings.objects.workers,
        create=create,
    )


def open_server_store(settings: Settings, url: str) -> HttpObjectStore:
    """The objects of ``settings.project.name`` on the team server at ``url``."""
    from shipyard.client.credentials import saved_token
    from shipyard.client.http import ApiClient
    from shipyard.objects.http_store import HttpObjectStore

    client = settings.client
    token = client.token or saved_token(url)
    api = ApiClient(url, token, ca_bundle=client.ca_bundle, timeout=client.timeout_s)
    return HttpObjectStore(
        api, settings.project.name, workers=settings.objects.workers, owns_client=True
    )


def open_workspace_store(ctx: Context, *, create: bool = True) -> ObjectStore:
    """The store named by ``objects.path`` (default: ``.shipyard/objects``).

    With ``create`` false, nothing is written (a new store's marker included).
    """
    configured = ctx.settings.objects.path
    if configured.startswith("s3://"):
        return _open_location(ctx.settings, configured, create=create)
    folder = _workspace_folder(ctx)
    return open_store(
        folder,
        key=store_key(ctx.settings),
        encrypt=ctx.settings.objects.encrypt,
        workers=ctx.settings.objects.workers,
        create=create,
    )


def workspace_backend(ctx: Context) -> Backend:
    """Where ``objects.path`` keeps its bytes, unopened: no marker read or written, no key
    needed (a backup copies the keys as stored; a restore fills an empty location)."""
    settings = ctx.settings.objects
    if settings.path.startswith("s3://"):
        return make_backend(
            settings.path,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
        )
    return make_backend(_workspace_folder(ctx))


def _workspace_folder(ctx: Context) -> Path:
    configured = ctx.settings.objects.path
    if ctx.settings.workspace is None and not Path(configured).expanduser().is_absolute():
        raise WorkspaceNotFound(
            f"no Shipyard workspace in {Path.cwd()} or any parent folder",
            hint="run `shipyard init`, or set objects.path to an absolute folder or s3:// URL",
        )
    return ctx.objects_dir if ctx.settings.workspace is not None else Path(configured)
