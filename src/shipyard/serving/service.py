"""The serving service: deployments, pool, reloads, logging — everything but HTTP.

:class:`Serving` is what both protocols call: :meth:`Serving.predict` routes a
request to the primary or canary version, loads it if needed, batches it,
mirrors it to the shadow, samples it into the inference log and counts it. It
is callable in-process (the tests and the Lambda adapter use it through the
app; nothing here knows about HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import NotFound
from shipyard.models.source import ModelSource, ResolvedModel, open_source
from shipyard.serving.inference_log import InferenceLog
from shipyard.serving.inputs import Inputs
from shipyard.serving.metrics import ServingMetrics
from shipyard.serving.options import ServeOptions
from shipyard.serving.pool import ModelPool
from shipyard.serving.reload import Reloader
from shipyard.serving.routing import PRIMARY, Deployment, build_deployments
from shipyard.serving.served import ServedVersion

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.models import LoadedModel
    from shipyard.serving.auth import TokenAuth

__all__ = ["Prediction", "Serving"]

log = logging.getLogger("shipyard.serving")

SWEEP_SECONDS = 1.0


@dataclass
class Prediction:
    outputs: Any
    served: ServedVersion
    variant: str


class Serving:
    """One process's serving state (see the module docstring)."""

    def __init__(
        self,
        options: ServeOptions,
        *,
        ctx: Context | None = None,
        sources: list[ModelSource] | None = None,
    ) -> None:
        self.options = options
        self.ctx = ctx
        self.metrics = ServingMetrics()
        sources = sources if sources is not None else [open_source(m) for m in options.models]
        self.deployments: dict[str, Deployment] = build_deployments(sources, options.splits)
        if ctx is not None:
            from shipyard.monitoring.live.gauges import MonitorCollector

            # what monitoring found about the served models, next to their request metrics
            collector = MonitorCollector(
                lambda: ctx.db, project=ctx.project, models=self.deployments
            )
            self.metrics.add_collector(collector)
        self.pool = ModelPool(self._load, options, self.metrics)
        self.reloader = Reloader(self.deployments, self.pool, self.metrics, pin=options.preload)
        self.log = self._inference_log()
        self.auth = self._auth()
        self._tasks: list[asyncio.Task[None]] = []
        self._shadow_tasks: set[asyncio.Task[None]] = set()
        self._by_version: dict[tuple[str, str], ResolvedModel] = {}
        self.ready = False

    # set-up --------------------------------------------------------------------------

    def _load(self, resolved: ResolvedModel) -> LoadedModel:
        from shipyard.models import load_model, load_model_in

        if self.ctx is not None and self.ctx.settings.workspace is not None:
            return load_model_in(self.ctx, resolved.path, trusted=self.options.trusted)
        return load_model(resolved.path, trusted=self.options.trusted)

    def _inference_log(self) -> InferenceLog | None:
        ctx = self.ctx
        if ctx is None:
            return None
        from shipyard.serving.log_store import write_batch

        def write(model: str, version: str, kind: str, columns: dict[str, list[Any]]) -> None:
            write_batch(ctx, model=model, version=version, kind=kind, columns=columns)

        opts = self.options
        return InferenceLog(
            write,
            self.metrics,
            rate=opts.log_rate,
            queue_size=opts.log_queue,
            batch_rows=opts.log_batch_rows,
            flush_s=opts.log_flush_s,
        )

    def _auth(self) -> TokenAuth | None:
        if not self.options.auth:
            return None
        from shipyard.core.errors import InvalidInput
        from shipyard.serving.auth import TokenAuth

        if self.ctx is None:
            raise InvalidInput("--auth needs a workspace or a metadata store to check tokens")
        return TokenAuth(self.ctx)

    async def start(self) -> None:
        """Preload (with ``preload``) and start the sweeper and the reloader."""
        if self.options.preload:
            for deployment in self.deployments.values():
                for target in deployment.targets():
                    await self.pool.get(target.resolved, pin=True)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._sweep_forever()))
        if self.options.poll_s > 0:
            self._tasks.append(loop.create_task(self.reloader.run(self.options.poll_s)))
        self.ready = True

    async def _sweep_forever(self) -> None:
        interval = min(SWEEP_SECONDS, self.options.idle_ttl_s or SWEEP_SECONDS)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.pool.sweep(in_use=self._in_use)
            except Exception as exc:  # pragma: no cover - unloading does not fail
                log.warning("sweeping the model pool failed: %s", exc)

    def _in_use(self, key: tuple[str, str]) -> bool:
        deployment = self.deployments.get(key[0])
        return deployment is not None and key[1] in deployment.versions()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for shadow in list(self._shadow_tasks):
            with contextlib.suppress(Exception):
                await shadow
        await self.pool.close()
        if self.log is not None:
            await asyncio.to_thread(self.log.close)
        self.ready = False

    # answering -----------------------------------------------------------------------

    def deployment(self, name: str) -> Deployment:
        deployment = self.deployments.get(name)
        if deployment is None:
            raise NotFound(
                f"no model named {name!r} is served here",
                hint="served: " + ", ".join(sorted(self.deployments)),
            )
        return deployment

    def only_model(self) -> str | None:
        return next(iter(self.deployments)) if len(self.deployments) == 1 else None

    async def resolve_version(self, name: str, version: str) -> ResolvedModel:
        """A specific version of a served model (``/v2/models/{name}/versions/{v}``)."""
        deployment = self.deployment(name)
        for target in deployment.targets():
            if target.resolved.version == version:
                return target.resolved
        key = (name, version)
        resolved = self._by_version.get(key)
        if resolved is None:
            resolved = await asyncio.to_thread(deployment.primary.source.resolve, version)
            if len(self._by_version) > 256:
                self._by_version.clear()
            self._by_version[key] = resolved
        return resolved

    async def version_for(self, name: str, version: str | None = None) -> ServedVersion:
        """The loaded version that would answer (the primary, or ``version``)."""
        deployment = self.deployment(name)
        resolved = (
            deployment.primary.resolved
            if version is None
            else await self.resolve_version(name, version)
        )
        return await self.pool.get(resolved)

    async def predict(
        self,
        name: str,
        decode: Any,
        *,
        method: str = "predict",
        version: str | None = None,
        request_id: str = "",
    ) -> tuple[Prediction, Inputs]:
        """Route, decode (``decode(spec) -> Inputs``, raising for bad input), batch, log."""
        deployment = self.deployment(name)
        if version is None:
            target = deployment.pick()
            resolved, variant = target.resolved, target.variant
        else:
            resolved, variant = await self.resolve_version(name, version), PRIMARY
        served = self.pool.peek(resolved.name, resolved.version) or await self.pool.get(resolved)
        inputs: Inputs = decode(served.spec)
        in_flight = self.metrics.in_flight_of(name)
        in_flight.inc()
        try:
            outputs = await served.infer(inputs, method)
        finally:
            in_flight.dec()
        log_ = self.log
        sampled = log_ is not None and log_.sampled()
        shadow = deployment.shadow
        if shadow is not None and version is None:
            self._mirror(shadow.resolved, inputs, method, request_id, logged=sampled)
        if log_ is not None and sampled:
            log_.offer_prediction(
                request_id, name, served.version, variant, inputs, served.spec.columns, outputs
            )
        return Prediction(outputs, served, variant), inputs

    def _mirror(
        self, resolved: ResolvedModel, inputs: Inputs, method: str, request_id: str, *, logged: bool
    ) -> None:
        """Ask the shadow too, after the primary answered; log it when the primary was logged."""

        async def run() -> None:
            try:
                served = await self.pool.get(resolved)
                outputs = await served.infer(inputs, method)
            except Exception as exc:
                self.metrics.shadow.labels(resolved.name, "failed").inc()
                log.info("shadow %s %s failed: %s", resolved.name, resolved.version, exc)
                return
            self.metrics.shadow.labels(resolved.name, "answered").inc()
            log_ = self.log
            if log_ is not None and logged:
                log_.offer_prediction(
                    request_id, resolved.name, served.version, "shadow", inputs,
                    served.spec.columns, outputs,
                )  # fmt: skip

        task = asyncio.get_running_loop().create_task(run())
        self._shadow_tasks.add(task)
        task.add_done_callback(self._shadow_tasks.discard)
