"""Registering a version from files the server's object store holds (publishing remotely).

A remote client saves and signs the model at home, uploads its files through
the object routes (deduplicated, chunked, granted to the project), then names
them: ``(path, blake3, size)`` each, with the run and a description. The
server believes no claim it can check itself:

* every named object must be held by the project (a grant: someone who may
  write there uploaded the bytes, which the server hashed) with the named size;
* the manifest is read from the store (its digest is its name) and must list
  exactly the named files besides itself and ``model.sig``;
* flavor and schema come from that manifest, the signer from the stored
  signature bundle, the lineage from the server's own record of the run,
  which must be in the same project.

Only then one transaction registers the version; any refusal registers nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, InvalidInput, NotFound, PermissionDenied
from shipyard.core.model_manifest import MANIFEST_FILE, SIGNATURE_FILE, FileEntry, ModelManifest
from shipyard.core.model_ref import check_model_name
from shipyard.core.principal import Role
from shipyard.core.relpath import check_relpaths
from shipyard.registry.entities import ModelVersion, VersionDraft
from shipyard.registry.version_rules import (
    check_description,
    check_files,
    check_source,
)

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["register_inline", "register_stored"]

_HINT = "upload the model's files first: registering with the SDK or CLI does both"


def register_stored(
    ctx: Context,
    name: str,
    files: Sequence[FileEntry],
    *,
    run_id: str | None = None,
    description: str = "",
    source: str = "api",
    uploaded: bool = True,
) -> ModelVersion:
    """Register the next version of ``name`` from objects in ``ctx``'s store: the one
    use case behind every way of registering (the routes, the SDK and the CLI).

    ``uploaded``: the files came from a client through the object routes, so the
    project must hold a grant for each; an in-process publisher that stored them
    itself passes False. Raises :class:`NotFound` for an object the project does
    not hold or a run not in the project, :class:`InvalidInput` when the named
    files and the stored manifest disagree, :class:`PermissionDenied` without
    the contributor role.
    """
    from shipyard.registry.service import RegistryService

    project, principal = ctx.project, ctx.principal
    check_model_name(name)
    principal.require(Role.CONTRIBUTOR, project, "register model versions")
    check_source(source)
    check_description(description)
    entries = tuple(sorted(files, key=lambda f: f.path))
    manifest_entry = check_files(entries)
    by_path = {f.path: f for f in entries}
    if uploaded:
        _check_held(ctx, entries)
    absent = ctx.objects.missing([Digest(f.blake3) for f in entries])
    if absent:
        path = next(f.path for f in entries if Digest(f.blake3) in absent)
        raise NotFound(f"model file {path} is missing from the server's object store", hint=_HINT)
    manifest = _stored_manifest(ctx, manifest_entry)
    listed = {f.path: f for f in manifest.files}
    named = {p: f for p, f in by_path.items() if p not in (MANIFEST_FILE, SIGNATURE_FILE)}
    for path in sorted(set(listed) | set(named)):
        if listed.get(path) != named.get(path):
            raise InvalidInput(
                f"model file {path} does not match the stored manifest; nothing was registered",
                hint="register the model directory as saved, unchanged",
            )
    signer = _signer(ctx, by_path.get(SIGNATURE_FILE))
    lineage: dict[str, object] = {}
    if run_id is not None:
        run_id, lineage = _run_lineage(ctx, run_id)
    draft = VersionDraft(
        flavor=manifest.flavor,
        files=entries,
        manifest_digest=manifest_entry.blake3,
        schema=manifest.signature,
        signer=signer,
        run_id=run_id,
        lineage=lineage,
        source=source,
        description=description,
    )
    return RegistryService(ctx.db).register_version(principal, project, name, draft)


def register_inline(
    ctx: Context,
    name: str,
    files: Mapping[str, bytes],
    *,
    description: str = "",
    source: str = "api",
) -> ModelVersion:
    """Register the next version of ``name`` from a model directory's files given whole.

    For clients without the SDK (the files come inside one request): they are
    checked to make up a model directory before anything is stored, then stored
    and granted to the project, then registered exactly as uploaded files are
    (:func:`register_stored`). Raises :class:`PermissionDenied` without the
    contributor role, :class:`InvalidInput` for a path that leaves the folder or
    files that are not a model directory.
    """
    from shipyard.models.model_dir.load import read_manifest
    from shipyard.objects.grants import ObjectGrants
    from shipyard.registry.publish import scratch_dir
    from shipyard.workspace.destinations import Destinations

    ctx.principal.require(Role.CONTRIBUTOR, ctx.project, "register model versions")
    check_relpaths(list(files), what="model file")  # a file that is also a folder, too
    with scratch_dir(ctx, "upload") as scratch:
        folder = scratch / "model"
        places = Destinations(folder, what="model file")
        for path, data in files.items():
            target = places.path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:  # not a model directory: refused before anything is stored
            read_manifest(folder)
        except (NotFound, IntegrityError, InvalidInput) as exc:
            # the client's mistake, said without the server's scratch path
            told = exc.message.replace(f"{folder}/", "").replace(f" in {folder}", "")
            raise InvalidInput(
                "the files are not a Shipyard model directory: "
                + told.replace(str(folder), "the folder")
            ) from None
        paths = list(files)
        refs = ctx.objects.put_files([folder / p for p in paths])
    ObjectGrants(ctx.db).grant(ctx.principal, ctx.project, refs, action="model.upload")
    entries = [FileEntry(p, r.digest.hex, r.size) for p, r in zip(paths, refs, strict=True)]
    return register_stored(ctx, name, entries, description=description, source=source)


def _check_held(ctx: Context, entries: Sequence[FileEntry]) -> None:
    """Each named object is granted to the project, with the named size."""
    from shipyard.objects.grants import ObjectGrants

    principal, project = ctx.principal, ctx.project
    held = ObjectGrants(ctx.db).held(principal, project, [Digest(f.blake3) for f in entries])
    for entry in entries:
        size = held.get(Digest(entry.blake3))
        if size is None:
            raise NotFound(
                f"model file {entry.path} (object {entry.blake3[:16]}…) is not in project "
                f"{project!r}; nothing was registered",
                hint=_HINT,
            )
        if size != entry.size:
            raise InvalidInput(
                f"model file {entry.path} is {size:,} bytes on the server, not {entry.size:,}"
            )


def _stored_manifest(ctx: Context, entry: FileEntry) -> ModelManifest:
    try:
        data = json.loads(ctx.objects.read_bytes(Digest(entry.blake3)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{MANIFEST_FILE} is not JSON; nothing was registered") from None
    return ModelManifest.from_dict(data)


def _signer(ctx: Context, entry: FileEntry | None) -> str | None:
    """The key the stored signature bundle names; loaders verify it under their own policy."""
    from shipyard.registry.publish import signer_hint

    if entry is None:
        if ctx.settings.models.require_signatures:
            raise InvalidInput(
                "this server requires signed models; nothing was registered",
                hint="create a key with `shipyard keys generate` and register again",
            )
        return None
    try:
        return signer_hint(ctx.objects.read_bytes(Digest(entry.blake3)))
    except IntegrityError as exc:  # the client's file, not the server's fault: a 400
        raise InvalidInput(exc.message, hint=exc.hint) from None


def _run_lineage(ctx: Context, run_id: str) -> tuple[str, dict[str, object]]:
    """The run's full id and its lineage snapshot, from this server's record of it."""
    from shipyard.registry.lineage import run_lineage
    from shipyard.tracking.service import TrackingService

    missing = NotFound(f"project {ctx.project!r} has no run {run_id!r}; nothing was registered")
    try:
        detail = TrackingService(ctx.db, ctx.settings.cost).get_run(ctx.principal, run_id)
    except (NotFound, PermissionDenied):
        raise missing from None
    if detail.run.project != ctx.project:
        raise missing
    return detail.run.id, run_lineage(detail)
