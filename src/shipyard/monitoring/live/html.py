"""The live monitor's report as one self-contained HTML page (inline CSS and SVG only).

Verdict and breaches, traffic over the window, performance over time against
the training baseline, earlier runs, drift per feature with histograms of
the drifted ones, validation failures and findings. Summaries only: its size
depends on the number of features and buckets, never on the traffic.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard.monitoring.html import template_environment
from shipyard.monitoring.live.charts import bars_svg, lines_svg
from shipyard.monitoring.live.performance import CLASSIFICATION, LOWER_IS_BETTER, REGRESSION
from shipyard.monitoring.live.result import MonitorResult
from shipyard.profiling.files import write_text_atomic

__all__ = ["render_monitor_html", "write_monitor_html"]


def _label(iso: str, bucket_seconds: float) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment:%m-%d %H:%M}" if bucket_seconds < 86400 else f"{moment:%Y-%m-%d}"


def _charts(result: MonitorResult) -> dict[str, Any]:
    labels = [_label(t["start"], result.bucket_seconds) for t in result.traffic]
    charts: dict[str, Any] = {
        "traffic": bars_svg(
            labels, [t["rows"] for t in result.traffic], [t["labelled"] for t in result.traffic]
        )
    }
    perf = result.performance
    if perf is not None and perf.task is not None:
        names = CLASSIFICATION if perf.task == "classification" else REGRESSION
        series = {
            name: [b["metrics"].get(name) for b in perf.buckets]
            for name in names
            if any(name in b["metrics"] for b in perf.buckets) or name in perf.metrics
        }
        upper = 1.0 if perf.task == "classification" else None
        baselines = {k: v for k, v in perf.baseline.items() if k in series}
        charts["performance"] = lines_svg(labels, series, baselines, upper=upper)
    if result.history:
        times = [_label(p["time"], 3600) for p in result.history]
        history: dict[str, list[float | None]] = {
            "share drifted": [p.get("share_drifted") for p in result.history]
        }
        charts["history_drift"] = lines_svg(times, history, upper=1.0)
        metrics = sorted({m for p in result.history for m in p.get("performance") or {}})
        if metrics:
            charts["history_performance"] = lines_svg(
                times,
                {m: [(p.get("performance") or {}).get(m) for p in result.history] for m in metrics},
            )
    return charts


def render_monitor_html(result: MonitorResult) -> str:
    template = template_environment().get_template("monitor.html.j2")
    drift = result.drift
    features = sorted(drift.features, key=lambda f: (not f.drifted, f.column)) if drift else []
    plotted = [f for f in features if f.drifted]
    if drift is not None and drift.prediction is not None:
        plotted.append(drift.prediction)
    return template.render(
        result=result,
        drift=drift,
        features=features,
        plotted=plotted,
        charts=_charts(result),
        lower_is_better=LOWER_IS_BETTER,
    )


def write_monitor_html(result: MonitorResult, path: Path) -> None:
    write_text_atomic(path, render_monitor_html(result))
