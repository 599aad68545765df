"""Publishing a model: save (or copy) its directory, sign it, store its files, register it.

Reached through ``ctx.registry.publish_model`` / ``publish_directory`` (see
:mod:`.workspace_models`); the last step is the registry's own
``register_files``, in-process or on a team server.

The order makes a failure harmless: the directory is assembled and signed in
the workspace's scratch folder, its files go into the object store (objects
without metadata are young garbage that ``gc`` keeps through its grace
period), and only then one transaction registers the version. A failure at
any step registers nothing. The finished directory then becomes the version's
entry in the local model cache, so loading it right away fetches nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.core.model_manifest import MANIFEST_FILE, SIGNATURE_FILE, FileEntry
from shipyard.core.signature import Signature
from shipyard.models.model_dir.digests import digest_file, verify_files
from shipyard.models.model_dir.load import read_manifest
from shipyard.registry.entities import ModelVersion

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.progress import Progress

__all__ = ["publish_directory", "publish_model", "scratch_dir", "signer_hint"]


def publish_model(
    ctx: Context,
    model: object,
    name: str,
    *,
    input_example: object = None,
    flavor: str | None = None,
    signature: Signature | None = None,
    metadata: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    description: str = "",
    source: str = "run",
    progress: Progress | None = None,
) -> ModelVersion:
    """Save ``model`` in a safe format and register it as the next version of ``name``.

    The registry records the lineage of ``run_id`` from its own record of the run.

    Raises what :func:`~shipyard.models.model_dir.save.save_model` raises (an
    unsupported model names the supported flavors; an example the model cannot
    predict on is :class:`InvalidInput`) before anything is stored.
    """
    from shipyard.core.model_ref import check_model_name
    from shipyard.models.model_dir.save import save_model

    check_model_name(name)
    with scratch_dir(ctx, "model") as scratch:
        target = scratch / "model"
        save_model(
            model,
            target,
            input_example=input_example,
            flavor=flavor,
            signature=signature,
            metadata=metadata,
            options=options,
        )
        return _publish(ctx, target, name, run_id, description, source, progress)


def publish_directory(
    ctx: Context,
    directory: Path | str,
    name: str,
    *,
    run_id: str | None = None,
    description: str = "",
    source: str = "directory",
    progress: Progress | None = None,
) -> ModelVersion:
    """Register a saved model directory (left untouched) as the next version of ``name``.

    Its files must match its manifest (:class:`IntegrityError` names the one
    that does not).
    """
    from shipyard.core.model_ref import check_model_name

    check_model_name(name)
    folder = Path(directory)
    manifest = read_manifest(folder)
    verify_files(folder, manifest.files)
    with scratch_dir(ctx, "model") as scratch:
        target = scratch / "model"
        shutil.copytree(folder, target, symlinks=True)
        return _publish(ctx, target, name, run_id, description, source, progress)


def _publish(
    ctx: Context,
    folder: Path,
    name: str,
    run_id: str | None,
    description: str,
    source: str,
    progress: Progress | None,
) -> ModelVersion:
    """Sign, store and register ``folder``; the registry reads the flavor, schema and
    signer from the stored files and the lineage from its record of ``run_id``."""
    from shipyard.registry.cache import adopt
    from shipyard.registry.remote import model_store

    manifest = read_manifest(folder)
    _sign(ctx, folder)
    entries = [*manifest.files, _entry(folder, MANIFEST_FILE)]
    if (folder / SIGNATURE_FILE).is_file():
        entries.append(_entry(folder, SIGNATURE_FILE))
    refs = model_store(ctx).put_files([folder / e.path for e in entries], progress=progress)
    for entry, ref in zip(entries, refs, strict=True):
        if ref.digest.hex != entry.blake3:
            raise IntegrityError(
                f"model file {entry.path} changed while it was stored", object_id=entry.path
            )
    files = tuple(sorted(entries, key=lambda e: e.path))
    version = ctx.registry.register_files(
        ctx.principal, ctx.project, name, files, run_id=run_id, description=description,
        source=source,
    )  # fmt: skip
    adopt(ctx, version, folder)
    return version


def _entry(folder: Path, path: str) -> FileEntry:
    file = folder / path
    return FileEntry(path=path, blake3=digest_file(file), size=file.stat().st_size)


def _sign(ctx: Context, folder: Path) -> str | None:
    """Sign with the workspace key when there is one; else keep a signature that verifies.

    Returns the signer's key fingerprint, or None for an unsigned model.
    """
    from shipyard.models.signing.keys import PRIVATE_KEY_FILE, trusted_public_keys
    from shipyard.models.signing.sign import sign_model
    from shipyard.models.signing.verify import verify_model

    keys_dir = ctx.layout.keys_dir if ctx.settings.workspace is not None else None
    if keys_dir is not None and (keys_dir / PRIVATE_KEY_FILE).is_file():
        return sign_model(folder, keys_dir / PRIVATE_KEY_FILE).fingerprint
    if not (folder / SIGNATURE_FILE).is_file():
        if ctx.settings.models.require_signatures:
            raise InvalidInput(
                "this workspace requires signed models and has no signing key; "
                "nothing was registered",
                hint="create one with `shipyard keys generate`, or register a signed directory",
            )
        return None
    keys = trusted_public_keys(keys_dir) if keys_dir is not None else []
    if not keys:
        # Nothing here to check it with (a server without keys): keep the signature as it
        # is, with the key it names; loaders and the signature gate verify it themselves.
        return claimed_signer(folder)
    return verify_model(folder, keys, required=True).fingerprint


def claimed_signer(folder: Path) -> str:
    """The key fingerprint a model's signature bundle names (not verified)."""
    try:
        data = (folder / SIGNATURE_FILE).read_bytes()
    except OSError:
        data = b""
    return signer_hint(data)


def signer_hint(bundle_bytes: bytes) -> str:
    """The key fingerprint a signature bundle's bytes name (not verified)."""
    import json

    try:
        bundle = json.loads(bundle_bytes)
        hint = bundle["verificationMaterial"]["publicKey"]["hint"]
    except (ValueError, KeyError, TypeError):
        hint = None
    if not isinstance(hint, str) or len(hint) != 64:
        raise IntegrityError(
            f"{SIGNATURE_FILE} is not a model-signing bundle made with a key",
            object_id=SIGNATURE_FILE,
            hint="sign the model again with `shipyard models sign`",
        )
    return hint


@contextmanager
def scratch_dir(ctx: Context, prefix: str) -> Iterator[Path]:
    """A private folder on the workspace's filesystem (so renames into the cache are atomic)."""
    base = ctx.settings.dot_dir / "tmp" if ctx.settings.dot_dir is not None else None
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    path = Path(
        tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}-", dir=base)
    )
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
