"""The model pool: versions load on first use, unload when idle, and fit a memory budget.

* **Load on demand.** :meth:`ModelPool.get` returns a loaded version, loading it
  first if needed (in a thread, one load at a time); concurrent requests for a
  version being loaded wait for that one load. The time a request waited is the
  cold-start metric. Nothing answers "model not ready".
* **Idle TTL.** :meth:`sweep` (called every few seconds by the app) unloads
  versions nobody used for ``idle_ttl_s`` and versions retired by a reload once
  their last request finished. Pinned versions (``--preload``) stay.
* **Memory budget.** After each load, least recently used idle versions are
  unloaded until the estimated total fits ``memory_budget_mb``. A version in use
  is never unloaded; one that alone exceeds the budget is still served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from shipyard.core.errors import ShipyardError, Unavailable
from shipyard.models.source import ResolvedModel
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.options import ServeOptions
from shipyard.serving.served import Loader, ServedVersion, load_version

__all__ = ["ModelPool"]

log = logging.getLogger("shipyard.serving")

Key = tuple[str, str]


class ModelPool:
    """Loaded model versions by (name, version), least recently used first."""

    def __init__(self, loader: Loader, options: ServeOptions, metrics: ServingMetrics) -> None:
        self._loader = loader
        self.options = options
        self.metrics = metrics
        self._versions: OrderedDict[Key, ServedVersion] = OrderedDict()
        self._loading: dict[Key, asyncio.Future[ServedVersion]] = {}
        self._pinned: set[Key] = set()
        self._retired: set[Key] = set()
        self._lock: asyncio.Lock | None = None
        self.loads = 0

    def loaded(self) -> list[ServedVersion]:
        return list(self._versions.values())

    def peek(self, name: str, version: str) -> ServedVersion | None:
        return self._versions.get((name, version))

    def is_loaded(self, resolved: ResolvedModel) -> bool:
        return (resolved.name, resolved.version) in self._versions

    async def get(self, resolved: ResolvedModel, *, pin: bool = False) -> ServedVersion:
        """The loaded version (loading it now if needed); raises what loading raised."""
        key = (resolved.name, resolved.version)
        served = self._versions.get(key)
        if served is not None:
            self._versions.move_to_end(key)
            self._retired.discard(key)
            if pin:
                self._pinned.add(key)
            return served
        waiting_since = time.perf_counter()
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._loading[key] = pending
            asyncio.get_running_loop().create_task(self._load(key, resolved, pending))
        served = await asyncio.shield(pending)
        if pin:
            self._pinned.add(key)
        else:
            self.metrics.cold_start.labels(resolved.name).observe(
                time.perf_counter() - waiting_since
            )
        served.last_used = time.monotonic()
        return served

    async def _load(
        self, key: Key, resolved: ResolvedModel, pending: asyncio.Future[ServedVersion]
    ) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            async with self._lock:
                served = await asyncio.to_thread(
                    load_version,
                    resolved,
                    self._loader,
                    batch=self.options.batch_for(resolved.name),
                    onnx=self.options.onnx,
                    on_batch=self.metrics.observe_batch,
                )
                self.loads += 1
                self._versions[key] = served
                self.metrics.load_seconds.labels(resolved.name).observe(served.report.seconds)
                self._refresh_gauges()
                log.info(
                    "loaded %s version %s in %.2fs (%s)",
                    resolved.name, resolved.version, served.report.seconds, served.platform,
                )  # fmt: skip
                await self._fit_budget(keep=key)
            pending.set_result(served)
        except Exception as exc:
            # Whatever went wrong (untrusted types, changed files, a vanished folder), it is
            # the server's problem, not the client's: 503 with the reason, never a 4xx.
            detail = (
                exc.one_line() if isinstance(exc, ShipyardError) else f"{type(exc).__name__}: {exc}"
            )
            failure = Unavailable(
                f"model {resolved.name!r} version {resolved.version} cannot be loaded: {detail}",
                hint="see the server log; fix the model or its source, then retry",
            )
            log.error("%s", failure.one_line())
            pending.set_exception(failure)
            pending.exception()  # retrieved: waiters re-raise it; nobody waiting is fine too
        finally:
            self._loading.pop(key, None)

    async def _fit_budget(self, keep: Key) -> None:
        budget = self.options.memory_budget_mb * 1024 * 1024
        if budget <= 0:
            return
        for key in list(self._versions):  # least recently used first
            if self._total_bytes() <= budget:
                return
            served = self._versions[key]
            if key == keep or key in self._pinned or served.in_flight:
                continue
            await self.unload(key, "memory")

    def _total_bytes(self) -> int:
        return sum(s.report.memory_bytes for s in self._versions.values())

    def retire(self, resolved: ResolvedModel) -> None:
        """Unload ``resolved`` once its last request has finished (an alias moved away)."""
        key = (resolved.name, resolved.version)
        self._pinned.discard(key)
        if key in self._versions:
            self._retired.add(key)

    def unpin(self, resolved: ResolvedModel) -> None:
        self._pinned.discard((resolved.name, resolved.version))

    async def unload(self, key: Key, reason: str) -> None:
        served = self._versions.pop(key, None)
        self._retired.discard(key)
        self._pinned.discard(key)
        if served is None:
            return
        self.metrics.unloads.labels(key[0], reason).inc()
        self._refresh_gauges()
        log.info("unloaded %s version %s (%s)", key[0], key[1], reason)
        await served.close()

    async def sweep(self, now: float | None = None, *, in_use: Callable[[Key], bool]) -> None:
        """Unload idle and retired versions (``in_use``: still the target of a route)."""
        now = time.monotonic() if now is None else now
        ttl = self.options.idle_ttl_s
        for key, served in list(self._versions.items()):
            if served.in_flight:
                continue
            if key in self._retired and not in_use(key):
                await self.unload(key, "replaced")
            elif ttl and key not in self._pinned and now - served.last_used >= ttl:
                await self.unload(key, "idle")

    async def close(self) -> None:
        for key in list(self._versions):
            await self.unload(key, "shutdown")

    def _refresh_gauges(self) -> None:
        self.metrics.loaded.set(len(self._versions))
        self.metrics.loaded_bytes.set(self._total_bytes())
