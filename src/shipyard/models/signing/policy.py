"""The workspace's signing policy: whether signatures are required, and which keys count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shipyard.context import Context
from shipyard.models.signing.keys import trusted_public_keys

__all__ = ["SigningPolicy", "signing_policy"]


@dataclass(frozen=True)
class SigningPolicy:
    required: bool
    public_keys: tuple[Path, ...]


def signing_policy(ctx: Context) -> SigningPolicy:
    """``models.require_signatures`` and the workspace's trusted keys (none outside one)."""
    keys: tuple[Path, ...] = ()
    if ctx.settings.workspace is not None:
        keys = tuple(trusted_public_keys(ctx.layout.keys_dir))
    return SigningPolicy(ctx.settings.models.require_signatures, keys)
