"""Checking a registered version's signature now: what the ``signature_valid`` gate
asks, and what the UI's "Verify" button and ``GET …/versions/N/verification`` show.

The version's files are fetched (or found in the cache), each checked against its
digest in the manifest, and the signature checked over the manifest with the keys
this side trusts (the workspace's ``keys/``; a team server trusts the signature's
own certificate chain, as loaders do).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ShipyardError

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.entities import ModelVersion

__all__ = ["SignatureCheck", "verify_signature"]


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool
    verified: bool
    evidence: str
    """What was checked and found, or why it failed, in one line."""
    fingerprint: str | None = None
    key: str | None = None
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def verify_signature(ctx: Context, version: ModelVersion) -> SignatureCheck:
    """Verify ``version``'s files and signature now; a failure is a result, not an error."""
    if not version.signed:
        return SignatureCheck(False, False, "the version is not signed")
    try:
        return _verify(ctx, version)
    except ShipyardError as error:
        return SignatureCheck(True, False, error.one_line())


def _verify(ctx: Context, version: ModelVersion) -> SignatureCheck:
    from shipyard.models.model_dir.digests import verify_files
    from shipyard.models.model_dir.load import read_manifest
    from shipyard.models.signing.keys import trusted_public_keys
    from shipyard.models.signing.verify import verify_model
    from shipyard.registry.cache import materialize

    keys = trusted_public_keys(ctx.layout.keys_dir) if ctx.settings.workspace else []
    directory = materialize(ctx, version)
    manifest = read_manifest(directory)
    verify_files(directory, manifest.files)
    result = verify_model(directory, keys, required=True)
    key = Path(str(result.key)).name if result.key else "?"
    fingerprint = str(result.fingerprint) if result.fingerprint else None
    evidence = (
        f"signature by {key} (fingerprint {(fingerprint or '?')[:12]}…) covers the "
        f"manifest and its {len(manifest.files)} files"
    )
    return SignatureCheck(True, True, evidence, fingerprint, key, len(manifest.files))
