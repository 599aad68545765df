"""The services MLflow routes call, one per metadata store, and lookups they share."""

from __future__ import annotations

import weakref

from shipyard.context import Context
from shipyard.core.errors import NotFound
from shipyard.registry.aliases import AliasService
from shipyard.registry.service import RegistryService
from shipyard.store.db import Database
from shipyard.tracking.entities import Experiment, Writer
from shipyard.tracking.service import TrackingService

__all__ = [
    "WRITER",
    "aliases",
    "experiment_by_id",
    "experiment_name",
    "experiments",
    "registry",
    "tracking",
]

WRITER = Writer(host="mlflow-client", pid=0)
"""The writer of every run started through MLflow's API: MLflow's client sends no
heartbeats, so a run the reaper marked killed revives at its next write."""

_TRACKING: weakref.WeakKeyDictionary[Database, TrackingService] = weakref.WeakKeyDictionary()


def tracking(ctx: Context) -> TrackingService:
    """One service per database, so its caches of experiment ids serve every request."""
    db = ctx.db
    service = _TRACKING.get(db)
    if service is None:
        service = _TRACKING.setdefault(db, TrackingService(db, ctx.settings.cost))
    return service


def registry(ctx: Context) -> RegistryService:
    return RegistryService(ctx.db)


def aliases(ctx: Context) -> AliasService:
    return AliasService(ctx.db)


def experiments(ctx: Context, project: str) -> list[Experiment]:
    return tracking(ctx).list_experiments(ctx.principal, project)


def experiment_name(ctx: Context, project: str, experiment_id: str) -> str:
    """The name of an experiment of ``project`` by id (no totals read); :class:`NotFound`."""
    for name, found in tracking(ctx).experiment_ids(ctx.principal, project).items():
        if found == experiment_id:
            return name
    raise NotFound(f"no experiment with id {experiment_id!r} in project {project!r}")


def experiment_by_id(ctx: Context, project: str, experiment_id: str) -> Experiment:
    for experiment in experiments(ctx, project):
        if experiment.id == experiment_id:
            return experiment
    raise NotFound(f"no experiment with id {experiment_id!r} in project {project!r}")
