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

__all__ = ["make_backend", "open_remote", "open_store", "open_workspace_store", "store_key"]


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
        raise InvalidInput(
            f"unsupported object store {scheme}://",
            hint="use a folder path or s3://bucket/prefix",
        )
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
) -> ObjectStore:
    """A remote store for push/pull, with the S3 options and key from the settings.

    A remote is encrypted with the workspace's key when ``objects.encrypt`` is on.
    """
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


def open_workspace_store(ctx: Context, *, create: bool = True) -> ObjectStore:
    """The store named by ``objects.path`` (default: ``.shipyard/objects``).

    With ``create`` false, nothing is written (a new store's marker included).
    """
    configured = ctx.settings.objects.path
    if configured.startswith("s3://"):
        return open_remote(ctx.settings, configured, create=create)
    if ctx.settings.workspace is None and not Path(configured).expanduser().is_absolute():
        raise WorkspaceNotFound(
            f"no Shipyard workspace in {Path.cwd()} or any parent folder",
            hint="run `shipyard init`, or set objects.path to an absolute folder or s3:// URL",
        )
    folder = ctx.objects_dir if ctx.settings.workspace is not None else Path(configured)
    return open_store(
        folder,
        key=store_key(ctx.settings),
        encrypt=ctx.settings.objects.encrypt,
        workers=ctx.settings.objects.workers,
        create=create,
    )
