"""gc roots of the registry: every file of every registered version stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shipyard.objects.references import register_reference_source

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["model_version_objects"]


def model_version_objects(ctx: Context) -> Iterator[str]:
    """The digests of every file (manifest and signature included) of every version."""
    from shipyard.registry.service import RegistryService

    yield from RegistryService(ctx.db).referenced_digests()


register_reference_source("models", model_version_objects)
