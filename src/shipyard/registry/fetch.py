"""Resolving ``models:/`` references to verified local directories, and loading them.

Every resolution checks, in order: the cached manifest's BLAKE3 is the one the
registry recorded; every file matches the manifest (and no other file is
present); the signature, under the workspace's policy
(``models.require_signatures`` and ``.shipyard/keys``). Each failure is an
:class:`IntegrityError` naming the file. Only then may a flavor read a byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.errors import IntegrityError
from shipyard.core.model_manifest import MANIFEST_FILE, SIGNATURE_FILE, ModelManifest
from shipyard.core.model_ref import ModelRef
from shipyard.registry.entities import ModelVersion

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.models.model_dir.loaded import LoadedModel
    from shipyard.objects.progress import Progress

__all__ = ["ResolvedModel", "load_registered", "resolve_model", "verify_directory"]


@dataclass(frozen=True)
class ResolvedModel:
    """A registered version, verified in a local directory (the model cache)."""

    name: str
    version: int
    uri: str
    """``models:/NAME/N``: the exact version, whatever alias was asked for."""
    directory: Path
    manifest: ModelManifest
    record: ModelVersion
    signed_by: str | None
    """Fingerprint of the key whose signature verified, or None if none was checked."""


def resolve_model(
    ctx: Context, ref: str | ModelRef, *, progress: Progress | None = None
) -> ResolvedModel:
    """Resolve ``ref`` (``models:/churn@production``, ``churn/3``…) and verify its files.

    Raises :class:`NotFound` for an unknown model, version or alias and
    :class:`IntegrityError` for a tampered, corrupt, unsigned (where required)
    or unknown-key model.
    """
    from shipyard.registry.cache import materialize

    parsed = ref if isinstance(ref, ModelRef) else ModelRef.parse(ref, require_version=False)
    if parsed.is_model:
        parsed = ModelRef(parsed.name, alias="latest")
    version = ctx.registry.get_version(ctx.principal, ctx.project, parsed)
    directory = materialize(ctx, version, progress=progress)
    manifest, signer = verify_directory(ctx, version, directory)
    return ResolvedModel(
        name=version.name,
        version=version.version,
        uri=version.uri,
        directory=directory,
        manifest=manifest,
        record=version,
        signed_by=signer,
    )


def verify_directory(
    ctx: Context, version: ModelVersion, directory: Path
) -> tuple[ModelManifest, str | None]:
    """Check a materialised version against the registry and the signing policy."""
    from shipyard.models.model_dir.digests import digest_file, verify_files
    from shipyard.models.model_dir.load import read_manifest
    from shipyard.models.signing.policy import signing_policy
    from shipyard.models.signing.verify import verify_model

    where = f"{version.name}/{version.version}"
    hint = f"the cached copy in {directory} was altered: delete that folder to fetch it again"
    # The manifest and the signature are not listed in the manifest: check them against
    # the registry's record, so neither can be swapped or stripped in the cache.
    for entry in version.files:
        if entry.path not in (MANIFEST_FILE, SIGNATURE_FILE):
            continue
        file = directory / entry.path
        if not file.is_file() or digest_file(file) != entry.blake3:
            raise IntegrityError(
                f"model file {entry.path} of {where} does not match the registry's record",
                object_id=entry.path,
                hint=hint,
            )
    manifest = read_manifest(directory)
    try:
        verify_files(directory, manifest.files)
    except IntegrityError as exc:
        raise IntegrityError(
            f"{exc.message} (model {where})", object_id=exc.object_id, hint=hint
        ) from None
    policy = signing_policy(ctx)
    signer = None
    if policy.required or (policy.public_keys and version.signed):
        result = verify_model(directory, policy.public_keys, required=policy.required)
        signer = result.fingerprint
    return manifest, signer


def load_registered(ctx: Context, ref: str | ModelRef, *, trusted: bool = False) -> LoadedModel:
    """Resolve, verify and load a registered version with its flavor."""
    from shipyard.models.flavors.registry import get_flavor
    from shipyard.models.model_dir.loaded import LoadedModel

    resolved = resolve_model(ctx, ref)
    flavor = get_flavor(resolved.manifest.flavor)
    raw = flavor.load(resolved.directory, resolved.manifest.flavor_params, trusted=trusted)
    return LoadedModel(resolved.directory, resolved.manifest, flavor, raw, uri=resolved.uri)
