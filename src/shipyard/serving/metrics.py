"""Prometheus metrics of a serving process (``GET /metrics``).

With several worker processes, uvicorn's workers share nothing, so the
metrics use prometheus-client's multiprocess mode: ``shipyard serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start, every
worker writes its samples there, and whichever worker answers ``/metrics``
adds them up. Gauges sum the live processes' values (``livesum``).

Model labels only ever carry names of served models (unknown names in URLs
are counted as ``unknown``), so a client cannot blow up the label space.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_ENV", "ServingMetrics"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_LOAD = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServingMetrics:
    """The serving metrics, in their own registry (several apps may live in one test process)."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        self._children: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}
        self._in_flight: dict[str, Any] = {}
        self._collectors: list[Collector] = []
        # In multiprocess mode samples go to files; the registry only serves the collector.
        registry = None if self.multiprocess else CollectorRegistry()
        self.registry = registry
        self.requests = Counter(
            "shipyard_serving_requests", "Prediction requests answered.",
            ["model", "version", "protocol", "status"], registry=registry,
        )  # fmt: skip
        self.errors = Counter(
            "shipyard_serving_errors", "Prediction requests refused or failed, by error type.",
            ["model", "version", "type"], registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "shipyard_serving_request_seconds", "Time to answer a prediction request.",
            ["model", "protocol"], buckets=_LATENCY, registry=registry,
        )  # fmt: skip
        self.batch_size = Histogram(
            "shipyard_serving_batch_requests", "Requests merged into one predict call.",
            ["model"], buckets=_BATCH, registry=registry,
        )  # fmt: skip
        self.batch_rows = Histogram(
            "shipyard_serving_batch_rows", "Rows in one predict call.",
            ["model"], buckets=_BATCH, registry=registry,
        )  # fmt: skip
        self.in_flight = Gauge(
            "shipyard_serving_in_flight", "Prediction requests being answered.",
            ["model"], registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.load_seconds = Histogram(
            "shipyard_serving_model_load_seconds",
            "Time to load a model version (verify, read, ONNX check).",
            ["model"], buckets=_LOAD, registry=registry,
        )  # fmt: skip
        self.cold_start = Histogram(
            "shipyard_serving_cold_start_seconds",
            "Extra time a request waited because its model was not loaded.",
            ["model"], buckets=_LOAD, registry=registry,
        )  # fmt: skip
        self.loaded = Gauge(
            "shipyard_serving_loaded_models", "Model versions in memory.",
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.loaded_bytes = Gauge(
            "shipyard_serving_loaded_model_bytes", "Estimated memory of the loaded models.",
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.unloads = Counter(
            "shipyard_serving_unloads", "Model versions unloaded, by reason.",
            ["model", "reason"], registry=registry,
        )  # fmt: skip
        self.reloads = Counter(
            "shipyard_serving_reloads", "Alias moves seen by polling, by outcome.",
            ["model", "outcome"], registry=registry,
        )  # fmt: skip
        self.shadow = Counter(
            "shipyard_serving_shadow_predictions", "Mirrored predictions, by outcome.",
            ["model", "outcome"], registry=registry,
        )  # fmt: skip
        self.log_records = Counter(
            "shipyard_serving_inference_log_records", "Records written to the inference log.",
            ["kind"], registry=registry,
        )  # fmt: skip
        self.log_drops = Counter(
            "shipyard_serving_inference_log_drops",
            "Inference-log records dropped (queue full or write failed).",
            ["reason"], registry=registry,
        )  # fmt: skip

    def answered(
        self, model: str, version: str, protocol: str, status: int, seconds: float
    ) -> None:
        """Count one prediction request (label children cached: ``labels()`` costs µs)."""
        key = (model, version, protocol, status)
        children = self._children.get(key)
        if children is None:
            if len(self._children) > 10_000:
                self._children.clear()
            children = (
                self.requests.labels(model, version, protocol, str(status)),
                self.latency.labels(model, protocol),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def in_flight_of(self, model: str) -> Any:
        gauge = self._in_flight.get(model)
        if gauge is None:
            gauge = self._in_flight[model] = self.in_flight.labels(model)
        return gauge

    def observe_batch(self, model: str, _version: str, requests: int, rows: int) -> None:
        self.batch_size.labels(model).observe(requests)
        self.batch_rows.labels(model).observe(rows)

    def add_collector(self, collector: Collector) -> None:
        """Export ``collector``'s metrics too (the monitors' gauges, read at scrape time)."""
        self._collectors.append(collector)
        if self.registry is not None:
            self.registry.register(collector)

    def render(self) -> bytes:
        """The exposition text: this process's registry, or every worker's files."""
        if self.registry is not None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for collector in self._collectors:
            registry.register(collector)
        return generate_latest(registry)
