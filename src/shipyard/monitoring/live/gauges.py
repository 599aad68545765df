"""Prometheus gauges of what the monitors found, read from the metadata store.

:class:`MonitorCollector` is a prometheus-client custom collector: at scrape
time it reads the newest ``monitor_results`` row of every monitor (cached
for a few seconds, so many scrapers cost one query) and exposes its gauges.
The team server registers one for every project; ``shipyard serve``
registers one for its project's monitors of the models it serves. Every
name it exposes is in :data:`METRICS` (the Grafana dashboard and the alert
rules use only those, a test checks it). A store that cannot be read gives
``shipyard_monitor_results_readable 0``, never a failed scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shipyard.monitoring.live.result import BREACH_KINDS

if TYPE_CHECKING:
    from prometheus_client import Metric

    from shipyard.monitoring.live.results_store import StoredResult
    from shipyard.store.db import Database

__all__ = ["METRICS", "MonitorCollector"]

log = logging.getLogger("shipyard.monitoring")

_BASE = ("project", "monitor", "model")
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "shipyard_monitor_drift_score": (
        "Drift score of a feature in the last run (p-value for ks/chisquare, else distance).",
        (*_BASE, "feature", "test"),
    ),
    "shipyard_monitor_drift_threshold": (
        "Threshold the feature's drift score is compared with.", (*_BASE, "feature", "test"),
    ),
    "shipyard_monitor_feature_drifted": (
        "1 if the feature drifted (absent when it had too few values for a verdict).",
        (*_BASE, "feature"),
    ),
    "shipyard_monitor_feature_not_enough_data": (
        "1 if the feature had too few values for a drift verdict.", (*_BASE, "feature"),
    ),
    "shipyard_monitor_prediction_drift_score": (
        "Drift score of the model's predictions.", (*_BASE, "test"),
    ),
    "shipyard_monitor_prediction_drifted": ("1 if the predictions drifted.", _BASE),
    "shipyard_monitor_share_drifted": ("Share of tested features that drifted.", _BASE),
    "shipyard_monitor_dataset_drift": (
        "1 if the last run found dataset drift (absent when it had too little data).", _BASE,
    ),
    "shipyard_monitor_drift_not_enough_data": (
        "1 if the last run had too little data for any drift verdict.", _BASE,
    ),
    "shipyard_monitor_validation_failures": ("Validation rules that failed.", _BASE),
    "shipyard_monitor_validation_failing_values": (
        "Values that broke a validation rule.", _BASE,
    ),
    "shipyard_monitor_performance": (
        "A performance metric over the last window (labelled rows).", (*_BASE, "metric"),
    ),
    "shipyard_monitor_performance_baseline": (
        "The metric recorded at training.", (*_BASE, "metric"),
    ),
    "shipyard_monitor_breach": ("1 if the last run crossed this threshold.", (*_BASE, "kind")),
    "shipyard_monitor_rows": ("Rows of live traffic in the last window.", _BASE),
    "shipyard_monitor_labelled_rows": ("Rows of the last window with a label.", _BASE),
    "shipyard_monitor_window_seconds": ("Length of the window the last run looked at.", _BASE),
    "shipyard_monitor_last_run_timestamp_seconds": ("When the monitor last ran (Unix s).", _BASE),
    "shipyard_monitor_interval_seconds": ("How often the monitor is scheduled to run.", _BASE),
    "shipyard_monitor_results_readable": (
        "1 if the monitor results could be read from the metadata store.", (),
    ),
}  # fmt: skip


class MonitorCollector(Collector):
    """Gauges of the newest result of each monitor (see the module docstring)."""

    def __init__(
        self,
        database: Callable[[], Database],
        *,
        project: str | None = None,
        models: Iterable[str] | None = None,
        ttl_s: float = 5.0,
    ) -> None:
        self._database = database
        self.project = project
        self.models = frozenset(models) if models is not None else None
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, list[StoredResult] | None] = (-1e18, None)

    def describe(self) -> Iterable[Metric]:
        return []  # collected on demand: never at registration

    def _results(self) -> list[StoredResult] | None:
        with self._lock:
            at, results = self._cached
            if time.monotonic() - at < self.ttl_s:
                return results
            from shipyard.monitoring.live.results_store import latest_results

            try:
                results = latest_results(self._database(), self.project)
            except Exception as exc:  # a scrape must not fail because the store is away
                log.warning("monitor gauges: cannot read monitor results: %s", exc)
                results = None
            if results is not None and self.models is not None:
                results = [r for r in results if r.model.partition("@")[0] in self.models]
            self._cached = (time.monotonic(), results)
            return results

    def collect(self) -> Iterator[Metric]:
        results = self._results()
        families = {
            name: GaugeMetricFamily(name, text, labels=list(labels))
            for name, (text, labels) in METRICS.items()
        }
        families["shipyard_monitor_results_readable"].add_metric(
            [], 0.0 if results is None else 1.0
        )
        for result in results or []:
            _add(families, result)
        yield from families.values()


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def _add(families: dict[str, GaugeMetricFamily], result: StoredResult) -> None:
    base = [result.project, result.monitor, result.model]
    gauges = result.gauges

    def put(name: str, value: object, *extra: str) -> None:
        number = _number(value)
        if number is not None:
            families[name].add_metric([*base, *extra], number)

    for feature, data in (gauges.get("features") or {}).items():
        test = str(data.get("test", ""))
        put("shipyard_monitor_drift_score", data.get("score"), feature, test)
        put("shipyard_monitor_drift_threshold", data.get("threshold"), feature, test)
        drifted = data.get("drifted")  # None: not enough data, so no 0 and no 1
        put("shipyard_monitor_feature_drifted", drifted, feature)
        put("shipyard_monitor_feature_not_enough_data", drifted is None, feature)
    prediction = gauges.get("prediction")
    if isinstance(prediction, dict):
        put("shipyard_monitor_prediction_drift_score", prediction.get("score"),
            str(prediction.get("test", "")))  # fmt: skip
        put("shipyard_monitor_prediction_drifted", prediction.get("drifted"))
    put("shipyard_monitor_share_drifted", gauges.get("share_drifted"))
    put("shipyard_monitor_dataset_drift", gauges.get("dataset_drift"))
    verdict = gauges.get("drift_verdict")
    if verdict is not None:
        put("shipyard_monitor_drift_not_enough_data", verdict == "not_enough_data")
    put("shipyard_monitor_validation_failures", gauges.get("validation_failures"))
    put("shipyard_monitor_validation_failing_values", gauges.get("validation_failing_values"))
    for metric, value in (gauges.get("performance") or {}).items():
        put("shipyard_monitor_performance", value, metric)
    for metric, value in (gauges.get("baseline") or {}).items():
        put("shipyard_monitor_performance_baseline", value, metric)
    breaches = gauges.get("breaches") or {}
    for kind in BREACH_KINDS:
        put("shipyard_monitor_breach", bool(breaches.get(kind)), kind)
    put("shipyard_monitor_rows", result.rows)
    put("shipyard_monitor_labelled_rows", result.labelled_rows)
    put("shipyard_monitor_window_seconds", gauges.get("window_seconds"))
    put("shipyard_monitor_last_run_timestamp_seconds", result.created_at.timestamp())
    put("shipyard_monitor_interval_seconds", result.interval_s)
