"""The registry in-process: the services over the metadata store, bound to a context.

:class:`LocalRegistry` and :class:`LocalAliases` are the services
(:class:`~shipyard.registry.service.RegistryService`,
:class:`~shipyard.registry.aliases.AliasService`) plus the operations that
need more than the database: a version's run metrics, its card, registering
stored files, promotion gates. ``ctx.registry`` and ``ctx.aliases`` give
these when the metadata store is reachable, on a workstation or inside the
team server's routes alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shipyard.core.model_manifest import FileEntry
from shipyard.core.model_ref import ModelRef
from shipyard.core.principal import Principal
from shipyard.registry.aliases import AliasService
from shipyard.registry.api import VersionDetails
from shipyard.registry.entities import ModelVersion
from shipyard.registry.service import RegistryService
from shipyard.registry.workspace_models import WorkspaceModels

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.gates.promote import Promotion

__all__ = ["LocalAliases", "LocalRegistry"]


def _acting(ctx: Context, principal: Principal, project: str) -> Context:
    """``ctx`` as ``principal`` in ``project`` (itself when it is already)."""
    here = ctx if principal is ctx.principal else ctx.as_principal(principal)
    return here if project == here.project else here.for_project(project)


class LocalRegistry(RegistryService, WorkspaceModels):
    """:class:`~shipyard.registry.api.Registry` over the metadata store."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.db)
        self.ctx = ctx

    def version_details(self, principal: Principal, project: str, ref: ModelRef) -> VersionDetails:
        from shipyard.registry.lineage import version_metrics

        version = self.get_version(principal, project, ref)
        metrics = version_metrics(_acting(self.ctx, principal, project), version)
        evaluations = self.evaluations(principal, project, version.name, version.version)
        return VersionDetails(version, metrics, evaluations)

    def card(self, principal: Principal, project: str, ref: ModelRef, fmt: str) -> str:
        from shipyard.registry.card.build import build_card
        from shipyard.registry.card.render import render_card

        return render_card(build_card(_acting(self.ctx, principal, project), ref), fmt)

    def register_files(
        self,
        principal: Principal,
        project: str,
        name: str,
        files: Sequence[FileEntry],
        *,
        run_id: str | None = None,
        description: str = "",
        source: str = "sdk",
    ) -> ModelVersion:
        """Register files this process stored itself (no object grants needed)."""
        from shipyard.registry.stored import register_stored

        here = _acting(self.ctx, principal, project)
        return register_stored(here, name, files, run_id=run_id, description=description,
                               source=source, uploaded=False)  # fmt: skip


class LocalAliases(AliasService):
    """:class:`~shipyard.registry.api.Aliases` over the metadata store."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.db)
        self.ctx = ctx

    def promote(
        self,
        principal: Principal,
        project: str,
        ref: ModelRef,
        alias: str,
        *,
        dry_run: bool = False,
        reason: str = "",
        trusted: bool = False,
    ) -> Promotion:
        from shipyard.registry.gates.promote import promote

        here = _acting(self.ctx, principal, project)
        return promote(here, ref, alias, dry_run=dry_run, reason=reason, trusted=trusted)
