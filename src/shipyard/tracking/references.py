"""gc roots of tracking: every object a run's artifacts name stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from shipyard.objects.references import register_reference_source
from shipyard.tracking.tables import RunArtifactRow

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["run_artifact_objects"]


def run_artifact_objects(ctx: Context) -> Iterator[str]:
    """The digests of every run artifact (of every project in the store)."""
    with ctx.db.read() as session:
        yield from session.scalars(select(RunArtifactRow.digest).distinct())


register_reference_source("runs", run_artifact_objects)
