"""Hot reload: notice alias moves by polling, load the new version aside, switch atomically.

Every ``poll_s`` seconds the reloader asks each target's source for its current
version (in a thread). When it differs from the version served:

1. the new version is resolved, and loaded in the background if the old one
   was in memory (a model unloaded by scale-to-zero just loads on next use);
2. the target's ``resolved`` is replaced in one assignment — requests that
   started before keep the old version object and finish on it;
3. the old version is retired: unloaded once its last request has finished.

A failed poll or load leaves the old version serving and is counted in
``shipyard_serving_reloads_total{outcome="failed"}``; the next poll tries again.
Rolling back is just another move.
"""

from __future__ import annotations

import asyncio
import logging

from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.pool import ModelPool
from shipyard.serving.routing import Deployment, Target

__all__ = ["Reloader"]

log = logging.getLogger("shipyard.serving")


class Reloader:
    def __init__(
        self,
        deployments: dict[str, Deployment],
        pool: ModelPool,
        metrics: ServingMetrics,
        *,
        pin: bool,
    ) -> None:
        self.deployments = deployments
        self.pool = pool
        self.metrics = metrics
        self.pin = pin
        self.moves = 0

    async def poll_once(self) -> int:
        """Check every target once; the number of targets switched."""
        switched = 0
        for deployment in list(self.deployments.values()):
            for target in deployment.targets():
                try:
                    if await self._check(target):
                        switched += 1
                except Exception as exc:  # keep serving the old version; try again next poll
                    self.metrics.reloads.labels(deployment.name, "failed").inc()
                    log.warning(
                        "reloading %s (%s) failed: %s", deployment.name, target.variant, exc
                    )
        return switched

    async def _check(self, target: Target) -> bool:
        current = await asyncio.to_thread(target.source.current_version)
        old = target.resolved
        if current == old.version:
            return False
        new = await asyncio.to_thread(target.source.resolve, current)
        if self.pin or self.pool.is_loaded(old):
            await self.pool.get(new, pin=self.pin)  # warm, before anyone is sent there
        target.resolved = new  # the switch: one assignment on the event loop
        self.pool.retire(old)
        self.moves += 1
        self.metrics.reloads.labels(old.name, "switched").inc()
        log.info("%s (%s): version %s -> %s", old.name, target.variant, old.version, new.version)
        return True

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.poll_once()
