"""Signing keys: an ECDSA P-256 pair per workspace, and the public keys it trusts.

Layout under ``.shipyard/keys/``::

    signing-key.pem         private key (PKCS#8 PEM, mode 0600), never leaves the machine
    signing-key.pub.pem     its public key (SubjectPublicKeyInfo PEM): share it
    trusted/NAME.pem        public keys of others whose signatures this workspace accepts

A key's fingerprint is the SHA-256 of its public PEM, the same "hint" the
model-signing bundle records, so a signature names the key that made it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from shipyard.core.errors import AlreadyExists, InvalidInput, NotFound

__all__ = [
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "KeyInfo",
    "KeyPath",
    "KeyPaths",
    "fingerprint",
    "generate_keys",
    "key_paths",
    "list_keys",
    "load_public_key",
    "trust_key",
    "trusted_public_keys",
]

PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"
TRUSTED_DIR = "trusted"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

KeyPath: TypeAlias = str | os.PathLike[str]
"""A key file's path, as the docs write it (``"key.pem"``) or as a :class:`~pathlib.Path`."""
KeyPaths: TypeAlias = KeyPath | Iterable[KeyPath]
"""One key file or several."""


@dataclass(frozen=True)
class KeyInfo:
    """A public key Shipyard knows: where it is, its fingerprint, and whose it is."""

    name: str
    public_key: Path
    fingerprint: str
    private_key: Path | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "public_key": str(self.public_key),
            "fingerprint": self.fingerprint,
            "private_key": str(self.private_key) if self.private_key else None,
        }


def key_paths(keys: KeyPaths) -> tuple[Path, ...]:
    """``keys`` as paths: one path or several, each a :class:`~pathlib.Path` or text."""
    if isinstance(keys, str | os.PathLike):  # one key: never iterate a string's characters
        return (Path(keys),)
    return tuple(Path(key) for key in keys)


def load_public_key(path: KeyPath) -> bytes:
    """The canonical PEM of the P-256 public key in ``path`` (a public or private key file)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFound(
            f"cannot read key file {path}: {exc.strerror}",
            hint="give the path of a PEM key file (`shipyard keys list` shows the workspace's)",
        ) from None
    try:
        if b"PRIVATE KEY" in data:
            key: object = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a PEM key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InvalidInput(
            f"{path} is not an ECDSA P-256 key", hint="model signing uses ECDSA P-256 keys"
        )
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public_pem: bytes) -> str:
    return hashlib.sha256(public_pem).hexdigest()


def generate_keys(keys_dir: Path, *, force: bool = False) -> KeyInfo:
    """Write a new key pair into ``keys_dir``; :class:`AlreadyExists` unless ``force``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private_path = keys_dir / PRIVATE_KEY_FILE
    public_path = keys_dir / PUBLIC_KEY_FILE
    if not force and (private_path.exists() or public_path.exists()):
        raise AlreadyExists(
            f"a signing key exists already in {keys_dir}; nothing was changed",
            hint="pass --force to replace it (models it signed will then need its old "
            "public key in keys/trusted/ to verify)",
        )
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_atomic(private_path, private_pem, 0o600)
    _write_atomic(public_path, public_pem, 0o644)
    return KeyInfo("workspace", public_path, fingerprint(public_pem), private_path)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    from shipyard.workspace.atomic import write_atomic

    write_atomic(path, data, mode=mode)


def trust_key(keys_dir: Path, source: KeyPath, name: str, *, force: bool = False) -> KeyInfo:
    """Accept signatures made by the key whose public half is in ``source``."""
    if not _NAME.match(name):
        raise InvalidInput(
            f"invalid key name {name!r}",
            hint="use letters, digits, '.', '_' or '-' (at most 64 characters)",
        )
    public_pem = load_public_key(source)
    target = keys_dir / TRUSTED_DIR / f"{name}.pem"
    if target.exists() and not force:
        raise AlreadyExists(f"a trusted key named {name!r} exists already", hint="pass --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(target, public_pem, 0o644)
    return KeyInfo(name, target, fingerprint(public_pem))


def list_keys(keys_dir: Path) -> list[KeyInfo]:
    """The workspace's own key (if generated) and every trusted public key."""
    keys = []
    own = keys_dir / PUBLIC_KEY_FILE
    if own.is_file():
        private = keys_dir / PRIVATE_KEY_FILE
        keys.append(
            KeyInfo(
                "workspace",
                own,
                fingerprint(load_public_key(own)),
                private if private.is_file() else None,
            )
        )
    trusted = keys_dir / TRUSTED_DIR
    if trusted.is_dir():
        for path in sorted(trusted.glob("*.pem")):
            keys.append(KeyInfo(path.stem, path, fingerprint(load_public_key(path))))
    return keys


def trusted_public_keys(keys_dir: Path) -> list[Path]:
    return [k.public_key for k in list_keys(keys_dir)]
