"""Verifying a model directory's signature against the keys this workspace trusts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.core.extras import require
from shipyard.core.model_manifest import SIGNATURE_FILE
from shipyard.models.signing.keys import KeyPaths, fingerprint, key_paths, load_public_key

__all__ = ["VerifyResult", "verify_model"]

_FILE_IN_DIFF = re.compile(  # the library reports a list's repr: quotes may come escaped
    r"Hash mismatch for \\*'([^'\\]+)"
    r"|Extra files found in model \\*'[^'\\]*\\*': ([^,'\"\\\]]+)"
    r"|Missing files in model \\*'[^'\\]*\\*': ([^,'\"\\\]]+)"
)


@dataclass(frozen=True)
class VerifyResult:
    """``signed`` is False only when no signature was required and none was present."""

    directory: Path
    signed: bool
    key: Path | None = None
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "signed": self.signed,
            "key": str(self.key) if self.key else None,
            "fingerprint": self.fingerprint,
        }


def verify_model(
    directory: Path | str, public_keys: KeyPaths, *, required: bool = True
) -> VerifyResult:
    """Check ``directory/model.sig`` against ``public_keys`` and every file it covers.

    ``public_keys`` are key files (one or several, paths or text). Raises
    :class:`IntegrityError` for an unsigned model (when ``required``), a
    signature from a key not in ``public_keys``, or a file that changed, went
    missing or appeared since signing (named in the message and ``object_id``);
    :class:`NotFound` for a key file that cannot be read.
    """
    require("models", "model signatures", "model_signing")
    from model_signing import verifying

    # Every key is read first: a mistyped key path is one clear error, signed model or not.
    known = {fingerprint(load_public_key(path)): path for path in key_paths(public_keys)}
    folder = Path(directory)
    signature = folder / SIGNATURE_FILE
    if not signature.is_file():
        if not required:
            return VerifyResult(folder, signed=False)
        raise IntegrityError(
            f"model {folder} is not signed (no {SIGNATURE_FILE}) and policy requires signatures",
            object_id=SIGNATURE_FILE,
            hint="sign it with `shipyard models sign`, or load it from a trusted source",
        )
    hint = _key_hint(signature)
    if not known:
        raise InvalidInput(
            "no trusted public keys to verify the model's signature with",
            hint="create a key pair with `shipyard keys generate` or add a signer's public key "
            "with `shipyard keys trust`",
        )
    key = known.get(hint)
    if key is None:
        raise IntegrityError(
            f"model {folder} is signed by an unknown key (fingerprint {hint[:16]}…)",
            object_id=SIGNATURE_FILE,
            hint="if you trust its signer, add their public key with `shipyard keys trust`",
        )
    try:
        config = verifying.Config()  # type: ignore[no-untyped-call]
        config.use_elliptic_key_verifier(public_key=key).verify(folder, signature)
    except ValueError as exc:
        raise _mismatch(folder, str(exc)) from None
    except Exception as exc:  # a malformed bundle can fail in many ways inside the library
        raise IntegrityError(
            f"the signature of model {folder} is invalid: {type(exc).__name__}: {exc}",
            object_id=SIGNATURE_FILE,
        ) from None
    return VerifyResult(folder, signed=True, key=key, fingerprint=hint)


def _key_hint(signature: Path) -> str:
    try:
        bundle = json.loads(signature.read_text(encoding="utf-8"))
        hint = bundle["verificationMaterial"]["publicKey"]["hint"]
    except (OSError, ValueError, KeyError, TypeError):
        raise IntegrityError(
            f"{signature} is not a model-signing bundle made with a key",
            object_id=SIGNATURE_FILE,
            hint="sign the model again with `shipyard models sign`",
        ) from None
    if not isinstance(hint, str):
        raise IntegrityError(f"{signature} names no signing key", object_id=SIGNATURE_FILE)
    return hint


def _mismatch(folder: Path, message: str) -> IntegrityError:
    match = _FILE_IN_DIFF.search(message)
    if match is None:
        return IntegrityError(
            f"the signature of model {folder} does not verify: {message[:200]}",
            object_id=SIGNATURE_FILE,
            hint="the model or its signature was altered: do not load it",
        )
    name = next(g for g in match.groups() if g).strip()
    what = (
        "was modified since it was signed"
        if match.group(1)
        else "was added after signing"
        if match.group(2)
        else "is missing"
    )
    return IntegrityError(
        f"model file {name} {what} (signature check of {folder})",
        object_id=name,
        hint="the model may have been tampered with: do not load it; fetch it again",
    )
