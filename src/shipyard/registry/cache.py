"""The local model cache: registered versions materialised as model directories.

``.shipyard/cache/models/<project>/<name>/<version>-<manifest digest prefix>/``
(outside a workspace: ``$XDG_CACHE_HOME/shipyard/models``) holds a version's
files as fetched from the object store. A folder appears by rename once all
its files were fetched and verified, so a reader never sees half a model.
The cache is never trusted: every load checks the manifest's digest against
the registry and every file against the manifest (see :mod:`.fetch`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, NotFound, UnsafePath
from shipyard.core.relpath import check_relpath, check_relpaths, shown
from shipyard.registry.entities import ModelVersion
from shipyard.workspace.destinations import Destinations

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.progress import Progress

__all__ = ["adopt", "cache_root", "materialize", "version_dir"]


def cache_root(ctx: Context) -> Path:
    if ctx.settings.dot_dir is not None:
        return ctx.settings.dot_dir / "cache" / "models"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shipyard" / "models"


def version_dir(ctx: Context, version: ModelVersion) -> Path:
    """Where ``version`` is (or would be) cached.

    Its parts come from the registry's answer (a server's, in remote mode), so
    they are checked like any other path from received bytes.
    """
    relative = f"{version.project}/{version.name}/{version.version}-{version.manifest_digest[:16]}"
    check_relpath(relative, what="model cache folder")
    if relative.count("/") != 2:
        raise UnsafePath(f"model cache folder '{shown(relative)}' is not project/name/version")
    return cache_root(ctx).joinpath(*relative.split("/"))


def adopt(ctx: Context, version: ModelVersion, folder: Path) -> None:
    """Move a just-published directory into the cache (best effort: it is only a cache)."""
    target = version_dir(ctx, version)
    if target.exists():
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(folder, target)
    except OSError:
        return  # another filesystem, or a concurrent fetch won: the cache fills on first load


def materialize(ctx: Context, version: ModelVersion, *, progress: Progress | None = None) -> Path:
    """The version's cached directory, fetched from the object store if absent.

    A file missing from the object store is :class:`NotFound`, a corrupt one
    :class:`IntegrityError`; both name the model file, and leave no cache entry.
    """
    from shipyard.registry.remote import model_store

    target = version_dir(ctx, version)
    if target.is_dir():
        return target
    # The file list is the registry's answer: every path is checked (twice the same
    # file, a file that is also a folder, anything leaving the folder) before a byte
    # is written, and each lands only where Destinations allows.
    check_relpaths([e.path for e in version.files], what="model file")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.fetch-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    by_digest: dict[str, str] = {}
    for entry in version.files:
        by_digest.setdefault(entry.blake3, entry.path)
    places = Destinations(staging, what="model file")
    items = [(Digest(e.blake3), places.path(e.path)) for e in version.files]
    try:
        try:
            model_store(ctx).get_files(items, progress=progress)
        except IntegrityError as exc:
            path = by_digest.get(exc.object_id or "", exc.object_id or "?")
            raise IntegrityError(
                f"model file {path} of {version.name}/{version.version} is corrupt in the "
                f"object store (object {str(exc.object_id)[:16]}…); nothing was loaded",
                object_id=path,
                hint="run `shipyard fsck`, then restore the object from another copy",
            ) from exc
        except NotFound as exc:
            missing = next((p for d, p in by_digest.items() if d in exc.message), "a file")
            raise NotFound(
                f"model file {missing} of {version.name}/{version.version} is missing from "
                "the object store",
                hint="pull it from the remote it was pushed to, or register the model again",
            ) from exc
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # not merely a concurrent fetch that finished first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
