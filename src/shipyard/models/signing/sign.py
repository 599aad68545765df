"""Signing a model directory with the workspace's private key."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.extras import require
from shipyard.core.model_manifest import SIGNATURE_FILE
from shipyard.models.signing.keys import KeyPath, fingerprint, load_public_key

__all__ = ["SignResult", "sign_model"]


@dataclass(frozen=True)
class SignResult:
    directory: Path
    signature: Path
    fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return {
            "directory": str(self.directory),
            "signature": str(self.signature),
            "fingerprint": self.fingerprint,
        }


def sign_model(directory: Path | str, private_key: KeyPath) -> SignResult:
    """Sign every file of the model in ``directory`` into ``directory/model.sig``.

    The model's digests are verified first, so a tampered model is never
    signed. The signature is written to a temporary file and renamed into
    place. Raises :class:`NotFound` for a missing key file and
    :class:`IntegrityError` for a model whose files do not match its manifest.
    """
    require("models", "model signing", "model_signing")
    from model_signing import hashing, signing

    from shipyard.models.model_dir.digests import verify_files
    from shipyard.models.model_dir.load import read_manifest

    private_key = Path(private_key)
    folder = Path(directory)
    manifest = read_manifest(folder)
    verify_files(folder, manifest.files)
    if not private_key.is_file():
        raise NotFound(
            f"no signing key at {private_key}", hint="create one with `shipyard keys generate`"
        )
    key_fingerprint = fingerprint(load_public_key(private_key))
    fd, temporary = tempfile.mkstemp(prefix=f".{folder.name}.sig-", dir=folder.parent)
    os.close(fd)
    try:
        hashing_config = hashing.Config()  # type: ignore[no-untyped-call]
        config = signing.Config().set_hashing_config(  # type: ignore[no-untyped-call]
            hashing_config.set_ignored_paths(paths=[SIGNATURE_FILE])
        )
        try:
            config.use_elliptic_key_signer(private_key=private_key)
            config.sign(folder, Path(temporary))
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"cannot sign with {private_key}: {exc}") from exc
        os.chmod(temporary, 0o644)
        os.replace(temporary, folder / SIGNATURE_FILE)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return SignResult(folder, folder / SIGNATURE_FILE, key_fingerprint)
