"""A monitor run as it travels to a team server: what is sent, and what is not.

The server reads its own inference log, so it gets the monitor's table (as
``[monitors.NAME]`` is written, checked there by the same
:func:`~shipyard.core.monitors.parse_monitor`) without the keys that name
files or actions on the client: ``reference`` and ``suite`` travel resolved
(a profile document, the suite's text), while webhooks and ``on_breach``
never leave the client (only whether there are any, to decide on notifying).
"""

from __future__ import annotations

from shipyard.core.durations import format_duration
from shipyard.core.monitors import MonitorConfig

__all__ = ["CLIENT_ONLY_KEYS", "config_table"]

CLIENT_ONLY_KEYS = frozenset(
    {"reference", "suite", "webhooks", "on_breach", "trigger_timeout", "html", "json",
     "interval", "cron"}
)  # fmt: skip
"""Keys a server refuses in a sent table: files and commands are the client's."""


def config_table(config: MonitorConfig) -> dict[str, object]:
    """The table the server needs to run ``config`` (none of :data:`CLIENT_ONLY_KEYS`)."""
    t = config.thresholds
    thresholds: dict[str, object] = {
        "drift_share": t.drift_share,
        "validation_failures": t.validation_failures,
        "performance_decay": t.performance_decay,
        "decay": dict(t.decay),
        "min_rows": t.min_rows,
        "min_labels": t.min_labels,
        "min_sample": t.min_sample,
        **dict(t.tests),
    }
    table: dict[str, object] = {
        "model": config.model,
        "window": format_duration(config.window),
        "task": config.task,
        "ignore": list(config.ignore),
        "baseline": dict(config.baseline),
        "thresholds": thresholds,
        "repeat": format_duration(config.repeat),
        "multivariate": config.multivariate,
    }
    if config.prediction is not None:
        table["prediction"] = config.prediction
    if config.columns is not None:
        table["columns"] = list(config.columns)
    if config.positive_label is not None:
        table["positive_label"] = config.positive_label
    if config.bucket is not None:
        table["bucket"] = format_duration(config.bucket)
    return table
