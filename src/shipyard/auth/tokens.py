"""The API token format: ``shy_<id>_<secret>``, generated, parsed and checked.

The id finds the row; the secret (256 random bits, URL-safe base64) is never
stored, only its SHA-256 digest, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from shipyard.core.errors import Unauthenticated
from shipyard.core.ids import new_id

__all__ = ["PREFIX", "TokenParts", "digest_secret", "new_token", "parse_token", "secret_matches"]

PREFIX = "shy"
_SHAPE = re.compile(r"^shy_([0-9a-z]{26})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class TokenParts:
    id: str
    secret: str

    def __str__(self) -> str:
        return f"{PREFIX}_{self.id}_{self.secret}"

    def __repr__(self) -> str:  # never print a secret by accident
        return f"TokenParts(id={self.id!r}, secret='***')"


def new_token() -> TokenParts:
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return TokenParts(id=new_id(), secret=secret)


def parse_token(text: str) -> TokenParts:
    """Split a presented token; raises :class:`Unauthenticated` for anything malformed."""
    match = _SHAPE.match(text.strip())
    if match is None:
        raise Unauthenticated(
            "the API token is malformed", hint="tokens look like shy_<id>_<secret>"
        )
    return TokenParts(id=match.group(1), secret=match.group(2))


def digest_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def secret_matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest_secret(secret), stored_digest)
