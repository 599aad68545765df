"""Auth in-process: :class:`~shipyard.auth.service.AuthService` plus what needs the context
(signed checkpoints live in the object store and are signed with a configured key)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from shipyard.audit.setup import checkpoint_sources, checkpoint_writer
from shipyard.auth.api import CheckpointWrite
from shipyard.auth.service import AuthService
from shipyard.core.principal import Principal

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["LocalAuth"]


class LocalAuth(AuthService):
    """:class:`~shipyard.auth.api.AuthApi` over the metadata store of ``ctx``."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.db, checkpoints=partial(checkpoint_sources, ctx))
        self.ctx = ctx

    def write_checkpoint(self, principal: Principal) -> CheckpointWrite:
        """:class:`ConfigError` without ``audit.checkpoint_key``."""
        writer = checkpoint_writer(self.ctx)
        return CheckpointWrite(writer.write(), writer.vault.where)
