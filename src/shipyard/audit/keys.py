"""The keys of audit checkpoints: the server's signing key and the public key verifiers trust.

Both are ECDSA P-256 PEM files, read and fingerprinted as model signing reads its
keys (:mod:`shipyard.models.signing.keys`), but kept apart from them: the
signing key belongs to the team server, in a file the metadata store's writers
cannot read (a secret mount, not the database, not the object store). It is
never stored, logged or shown; messages name its path and fingerprint only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.audit.checkpoint import Checkpoint, SignedCheckpoint
from shipyard.core.errors import AlreadyExists, ConfigError, InvalidInput, NotFound
from shipyard.models.signing.keys import _write_atomic as write_atomic
from shipyard.models.signing.keys import fingerprint, load_public_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from shipyard.core.settings import Settings

__all__ = ["CheckpointSigner", "TrustedKey", "generate_checkpoint_key", "key_path"]

_KEYGEN_HINT = "make one with `shipyard audit keygen PATH`, kept outside the metadata store"


def key_path(settings: Settings, value: str) -> Path:
    """A configured key file: ``~`` expanded, relative to ``.shipyard/`` in a workspace."""
    path = Path(value).expanduser()
    if not path.is_absolute() and settings.dot_dir is not None:
        path = settings.dot_dir / path
    return path


def _public_pem(path: Path, setting: str) -> bytes:
    try:
        return load_public_key(path)
    except (NotFound, InvalidInput) as exc:
        raise ConfigError(f"{setting}: {exc.message}", hint=exc.hint or _KEYGEN_HINT) from None


@dataclass(frozen=True)
class TrustedKey:
    """The public key whose checkpoints ``audit verify`` accepts."""

    public_key: ec.EllipticCurvePublicKey
    fingerprint: str
    source: str

    @classmethod
    def load(cls, path: Path, setting: str = "audit.checkpoint_public_key") -> TrustedKey:
        """From a public (or private) key file; :class:`ConfigError` in one line otherwise."""
        from cryptography.hazmat.primitives import serialization

        pem = _public_pem(path, setting)
        key = serialization.load_pem_public_key(pem)
        return cls(key, fingerprint(pem), str(path))  # type: ignore[arg-type]

    def verifies(self, signed: SignedCheckpoint) -> bool:
        """True if this key made ``signed``'s signature over its checkpoint."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        if signed.checkpoint.key != self.fingerprint:
            return False
        try:
            self.public_key.verify(
                signed.signature, signed.checkpoint.canonical(), ec.ECDSA(hashes.SHA256())
            )
        except (InvalidSignature, ValueError):
            return False
        return True


class CheckpointSigner:
    """The private key that signs checkpoints (its repr shows the fingerprint only)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, trusted: TrustedKey) -> None:
        self._private_key = private_key
        self.trusted = trusted

    @property
    def fingerprint(self) -> str:
        return self.trusted.fingerprint

    def __repr__(self) -> str:
        return f"CheckpointSigner(fingerprint={self.fingerprint[:16]}…)"

    @classmethod
    def load(cls, path: Path, setting: str = "audit.checkpoint_key") -> CheckpointSigner:
        """From a PEM private key file; :class:`ConfigError` in one line otherwise."""
        from cryptography.hazmat.primitives import serialization

        pem = _public_pem(path, setting)  # missing, unreadable, not PEM, not P-256
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None
        if b"PRIVATE KEY" not in data:
            raise ConfigError(
                f"{setting}: {path} holds a public key, and signing needs the private key",
                hint="a public key goes in audit.checkpoint_public_key",
            )
        key = serialization.load_pem_private_key(data, password=None)
        public = serialization.load_pem_public_key(pem)
        return cls(key, TrustedKey(public, fingerprint(pem), str(path)))  # type: ignore[arg-type]

    def sign(self, checkpoint: Checkpoint) -> SignedCheckpoint:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        if checkpoint.key != self.fingerprint:
            raise ValueError("the checkpoint names another key")
        signature = self._private_key.sign(checkpoint.canonical(), ec.ECDSA(hashes.SHA256()))
        return SignedCheckpoint(checkpoint, signature)


def generate_checkpoint_key(path: Path, *, force: bool = False) -> tuple[Path, str]:
    """Write a new P-256 key to ``path`` (mode 0600) and its public key beside it
    (``NAME.pub.pem``); returns the public key's path and the fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public_path = path.with_name(f"{path.name.removesuffix('.pem')}.pub.pem")
    if not force and (path.exists() or public_path.exists()):
        raise AlreadyExists(f"{path} or {public_path} exists already; nothing was changed",
                            hint="pass --force to replace it")  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, private_pem, 0o600)
        write_atomic(public_path, public_pem, 0o644)
    except OSError as exc:
        raise InvalidInput(f"cannot write {exc.filename or path}: {exc.strerror}") from None
    return public_path, fingerprint(public_pem)
