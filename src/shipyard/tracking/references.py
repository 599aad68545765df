"""Run artifacts are gc roots: ``shipyard gc`` keeps every object a run recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from shipyard.objects.references import register_reference_source
from shipyard.tracking.tables import RunArtifactRow

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["run_artifacts"]


def run_artifacts(ctx: Context) -> Iterator[str]:
    """The digest of every artifact of every run (runs deleted take theirs with them)."""
    with ctx.db.read() as session:
        yield from session.scalars(select(RunArtifactRow.digest).distinct())


register_reference_source("run-artifacts", run_artifacts)
