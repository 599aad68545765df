"""Checkpoints from the settings: the writer, the trusted key, the checkpoints to check.

``audit.checkpoint_key`` (the signing key's file) makes a writer; the trusted
public key is ``audit.checkpoint_public_key``, else the signing key's own. With
neither, ``audit verify`` checks the chain alone and says what that cannot see.
Bad key files are :class:`ConfigError` in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.audit.keys import CheckpointSigner, TrustedKey, key_path
from shipyard.audit.vault import CheckpointVault, Found, read_folder
from shipyard.audit.writer import CheckpointWriter, Exporter, FolderExporter, WebhookExporter
from shipyard.core.durations import parse_duration
from shipyard.core.errors import ConfigError, WorkspaceNotFound

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.core.settings import Settings

__all__ = [
    "CheckpointSources",
    "checkpoint_sources",
    "checkpoint_writer",
    "exporters",
    "interval_seconds",
    "trusted_key",
]


@dataclass(frozen=True)
class CheckpointSources:
    """The checkpoints to check a log against, and the key that must have signed them."""

    found: list[Found] = field(default_factory=list)
    trusted: TrustedKey | None = None


def signer(settings: Settings) -> CheckpointSigner | None:
    configured = settings.audit.checkpoint_key
    return CheckpointSigner.load(key_path(settings, configured)) if configured else None


def trusted_key(settings: Settings) -> TrustedKey | None:
    """The key ``audit verify`` trusts: the configured public key, else the signing key's."""
    public = settings.audit.checkpoint_public_key
    if public:
        return TrustedKey.load(key_path(settings, public))
    own = signer(settings)
    return own.trusted if own is not None else None


def exporters(settings: Settings) -> list[Exporter]:
    found: list[Exporter] = []
    if settings.audit.checkpoint_export_dir:
        found.append(FolderExporter(key_path(settings, settings.audit.checkpoint_export_dir)))
    if settings.audit.checkpoint_webhook:
        found.append(WebhookExporter(settings.audit.checkpoint_webhook))
    return found


def interval_seconds(settings: Settings) -> float:
    """The periodic writer's interval (0: off); the setting is checked when settings load."""
    return parse_duration(settings.audit.checkpoint_interval).total_seconds()


def checkpoint_writer(
    ctx: Context, *, clock: Callable[[], datetime] | None = None
) -> CheckpointWriter:
    """A writer into ``ctx``'s object store; :class:`ConfigError` without a usable key."""
    own = signer(ctx.settings)
    if own is None:
        raise ConfigError(
            "no audit.checkpoint_key is configured: nothing to sign checkpoints with",
            hint="make a key with `shipyard audit keygen PATH` (outside the metadata store) "
            "and set audit.checkpoint_key or SHIPYARD_AUDIT_CHECKPOINT_KEY to it",
        )
    sinks = exporters(ctx.settings)
    vault = CheckpointVault.of(ctx.objects)
    if clock is None:
        return CheckpointWriter(ctx.db, vault, own, exporters=sinks)
    return CheckpointWriter(ctx.db, vault, own, exporters=sinks, clock=clock)


def checkpoint_sources(ctx: Context, folder: Path | None = None) -> CheckpointSources:
    """Every checkpoint in ``ctx``'s object store (and in ``folder``, exported copies),
    with the trusted key; without a trusted key, the store is not read. With a folder,
    a verifier with no object store configured (``--uri postgresql://…`` elsewhere)
    checks against the folder alone."""
    trusted = trusted_key(ctx.settings)
    found: list[Found] = []
    if trusted is not None:
        try:
            found = CheckpointVault.of(ctx.objects).load_all()
        except WorkspaceNotFound:
            if folder is None:
                raise
    if folder is not None:
        found += read_folder(folder)
    return CheckpointSources(found, trusted)
