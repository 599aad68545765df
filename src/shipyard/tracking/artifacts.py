"""Run artifacts: files a run produced, their bytes in the object store.

An artifact has a path inside its run (relative POSIX, no ``..``) and the
BLAKE3 digest under which the object store holds it. Logging a file stores it
as ``ARTIFACT_PATH/NAME`` (default: its own name); logging a folder stores
every file under it as ``ARTIFACT_PATH/FOLDER_NAME/…`` (default: the folder's
name). Logging a path again replaces the earlier artifact.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.relpath import check_relpaths, is_reserved
from shipyard.tracking.limits import check_artifact_path
from shipyard.workspace.destinations import Destinations

if TYPE_CHECKING:
    from shipyard.objects.api import ProjectObjects
    from shipyard.objects.progress import Progress
    from shipyard.tracking.backend import TrackingBackend
    from shipyard.tracking.entities import ArtifactRecord

__all__ = ["artifact_items", "download_artifacts", "folder_items", "store_artifacts"]


def artifact_items(source: Path, artifact_path: str | None = None) -> list[tuple[Path, str]]:
    """(local file, artifact path) for a file or every file of a folder; sorted by path."""
    prefix = check_artifact_path(artifact_path) if artifact_path else None
    if source.is_file():
        name = source.name if prefix is None else f"{prefix}/{source.name}"
        return [(source, check_artifact_path(name))]
    if not source.is_dir():
        raise InvalidInput(
            f"no file or folder at {source}", hint="log the path of a file the run wrote"
        )
    base = prefix if prefix is not None else check_artifact_path(source.resolve().name)
    items = []
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not is_reserved(d))  # never a nested .git
        for name in files:
            path = Path(root, name)
            if not path.is_file():
                continue  # sockets, broken links
            relative = path.relative_to(source).as_posix()
            items.append((path, check_artifact_path(f"{base}/{relative}")))
    if not items:
        raise InvalidInput(f"folder {source} holds no files to log")
    return sorted(items, key=lambda item: item[1])


def folder_items(folder: Path, artifact_path: str | None = None) -> list[tuple[Path, str]]:
    """(local file, artifact path) for every file under ``folder``, placed directly under
    ``artifact_path`` (the run's root when None), as MLflow's ``log_artifacts`` does."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder", hint="use log_artifact for one file")
    prefix = check_artifact_path(artifact_path) + "/" if artifact_path else ""
    items = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_reserved(d))
        for name in files:
            path = Path(root, name)
            if path.is_file():
                relative = path.relative_to(folder).as_posix()
                items.append((path, check_artifact_path(prefix + relative)))
    if not items:
        raise InvalidInput(f"folder {folder} holds no files to log")
    return sorted(items, key=lambda item: item[1])


def store_artifacts(
    backend: TrackingBackend,
    run_id: str,
    files: Sequence[tuple[Path, str]],
    progress: Progress | None = None,
) -> list[ArtifactRecord]:
    """Put ``(local file, artifact path)`` pairs in the backend's object store (the
    workspace's, or the server's in remote mode), then record them, together.

    Bytes first, metadata after: an interrupted log leaves young unreferenced
    objects (gc's grace period keeps them), never a record without its bytes.
    """
    from shipyard.store.base import utcnow
    from shipyard.tracking.entities import ArtifactRecord

    refs = backend.objects.put_files([path for path, _ in files], progress=progress)
    items = [(name, ref.digest.hex, ref.size) for (_, name), ref in zip(files, refs, strict=True)]
    backend.record_artifacts(run_id, items)
    now = utcnow()
    return [ArtifactRecord(name, digest, size, now) for name, digest, size in items]


def download_artifacts(
    store: ProjectObjects,
    artifacts: Sequence[ArtifactRecord],
    destination: Path,
    *,
    prefix: str | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the artifacts under ``prefix`` (a file or folder path; all when None) into
    ``destination``, keeping their paths. Each file is verified and appears atomically."""
    chosen = list(artifacts)
    if prefix:
        wanted = check_artifact_path(prefix)
        chosen = [a for a in chosen if a.path == wanted or a.path.startswith(wanted + "/")]
        if not chosen:
            raise NotFound(
                f"the run has no artifact {wanted!r}",
                hint="list them with `shipyard runs artifacts RUN_ID`",
            )
    if not chosen:
        raise NotFound("the run has no artifacts", hint="log some with run.log_artifact(path)")
    # Paths come from the run's records (a server's, or a teammate's): checked, and
    # written below ``destination`` only, never through a link.
    inside = Destinations(destination, what="artifact path")
    check_relpaths((a.path for a in chosen), what="artifact path")
    items = [(Digest(a.digest), inside.path(a.path)) for a in chosen]
    store.get_files(items, progress=progress)
    return [path for _, path in items]
