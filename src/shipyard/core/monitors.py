"""Monitors configured in ``config.toml``: what to watch, how often, and what a breach does.

Pure: this module only reads the parsed TOML tables. A monitor is one table
``[monitors.<name>]``::

    [monitors.churn]
    model = "churn"                     # the served name (or churn@production with the registry)
    window = "24h"                      # how much live traffic one run looks at
    reference = "train.profile.json"    # a profile, a CSV/Parquet file, or data/train.parquet@v3
    interval = "1h"                     # or cron = "0 * * * *" (5 fields)
    suite = "suite.yaml"                # validate live traffic too (optional)
    prediction = "churned"              # the reference column the model's outputs compare with
    baseline = { accuracy = 0.93, f1 = 0.91 }   # metrics recorded at training
    webhooks = ["env:SLACK_WEBHOOK_URL"]        # Slack-compatible; env:NAME keeps secrets out
    on_breach = ["shipyard", "run", "--", "python", "retrain.py"]

    [monitors.churn.thresholds]
    drift_share = 0.5                   # share of drifted features that is dataset drift
    psi = 0.2                           # any drift test's threshold
    validation_failures = 0             # more failing rules than this is a breach
    performance_decay = 0.05            # relative worsening of a metric that is a breach

Unknown keys and bad values are :class:`ConfigError`s naming the monitor, the
key and the file.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from shipyard.core.durations import format_duration, parse_duration
from shipyard.core.errors import ConfigError, InvalidInput
from shipyard.core.ids import is_id

__all__ = [
    "DRIFT_TESTS",
    "METRICS",
    "TRIGGER_MONITOR_ENV",
    "TRIGGER_RESULT_ENV",
    "TRIGGER_RESULT_TAG",
    "TRIGGER_TAG",
    "MonitorConfig",
    "MonitorThresholds",
    "Task",
    "parse_monitor",
    "parse_monitors",
    "triggered_tags",
]

Task = Literal["auto", "classification", "regression"]
TASKS: tuple[Task, ...] = ("auto", "classification", "regression")
DRIFT_TESTS = ("ks", "chisquare", "wasserstein", "psi", "jensenshannon")
#: Performance metrics a run computes; the first five for classification, the last two regression.
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

#: What a breach's ``on_breach`` command finds in its environment: the monitor, and the
#: stored result that triggered it.
TRIGGER_MONITOR_ENV = "SHIPYARD_MONITOR"
TRIGGER_RESULT_ENV = "SHIPYARD_MONITOR_RESULT"
#: Tags of a run started inside that command, so the monitor can say which runs it started.
TRIGGER_TAG = "shipyard.monitor"
TRIGGER_RESULT_TAG = "shipyard.monitor.result"


def triggered_tags(environ: Mapping[str, str]) -> dict[str, str]:
    """The tags a new top-level run gets inside a monitor's ``on_breach`` command
    (``environ`` holds :data:`TRIGGER_RESULT_ENV`), else none."""
    result = environ.get(TRIGGER_RESULT_ENV, "")
    if not is_id(result):
        return {}
    return {TRIGGER_RESULT_TAG: result, TRIGGER_TAG: environ.get(TRIGGER_MONITOR_ENV, "")[:128]}


@dataclass(frozen=True)
class MonitorThresholds:
    """When a run is a breach (see docs/monitoring.md, "Live monitoring")."""

    drift_share: float = 0.5
    tests: Mapping[str, float] = field(default_factory=dict)
    """Per drift test (``psi = 0.2``); tests not named keep their defaults."""
    validation_failures: int = 0
    """A breach when more suite rules than this fail."""
    performance_decay: float = 0.05
    """A breach when a metric is worse than its baseline by more than this share of it."""
    decay: Mapping[str, float] = field(default_factory=dict)
    """Per metric (``rmse = 0.2``), overriding ``performance_decay``."""
    min_rows: int = 0
    """A breach (``no_traffic``) when the window holds fewer rows than this."""
    min_labels: int = 30
    """Performance metrics need at least this many labelled rows in a window."""
    min_sample: int = 30
    """A feature with fewer values than this on either side gets no drift verdict."""

    def decay_for(self, metric: str) -> float:
        return self.decay.get(metric, self.performance_decay)


@dataclass(frozen=True)
class MonitorConfig:
    """One monitor: the model, the window, the reference and what a breach does."""

    name: str
    model: str
    window: timedelta = timedelta(hours=24)
    reference: str | None = None
    interval: timedelta | None = None
    cron: str | None = None
    suite: str | None = None
    prediction: str | None = None
    columns: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    task: Task = "auto"
    positive_label: str | int | float | bool | None = None
    bucket: timedelta | None = None
    baseline: Mapping[str, float] = field(default_factory=dict)
    thresholds: MonitorThresholds = field(default_factory=MonitorThresholds)
    webhooks: tuple[str, ...] = ()
    on_breach: tuple[str, ...] = ()
    trigger_timeout: timedelta = timedelta(hours=1)
    repeat: timedelta = timedelta(hours=24)
    """An unchanged breach is notified (and triggers) again only after this long."""
    html: str | None = None
    json: str | None = None
    multivariate: bool = True

    @property
    def model_name(self) -> str:
        """The name the model is served under (``churn`` for ``churn@production``)."""
        return self.model.partition("@")[0]

    def describe_schedule(self) -> str:
        if self.cron:
            return f"cron {self.cron}"
        if self.interval:
            return f"every {format_duration(self.interval)}"
        return "not scheduled"


_TOP_KEYS = {
    "model", "window", "reference", "interval", "cron", "suite", "prediction", "columns",
    "ignore", "task", "positive_label", "bucket", "baseline", "thresholds", "webhooks",
    "on_breach", "trigger_timeout", "repeat", "html", "json", "multivariate",
}  # fmt: skip
_THRESHOLD_KEYS = {
    "drift_share", "validation_failures", "performance_decay", "decay", "min_rows", "min_labels",
    "min_sample", *DRIFT_TESTS,
}  # fmt: skip


def parse_monitors(table: Any, label: str = "config file") -> dict[str, MonitorConfig]:
    """Every ``[monitors.<name>]`` table of a config document, checked."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"'monitors' in {label} must be a table of [monitors.<name>] tables")
    return {name: parse_monitor(name, body, label) for name, body in table.items()}


def parse_monitor(name: str, body: Any, label: str = "config file") -> MonitorConfig:
    """One monitor's table; :class:`ConfigError` naming ``[monitors.NAME] key``."""
    where = f"[monitors.{name}] in {label}"
    if not _NAME.fullmatch(name):
        raise ConfigError(f"bad monitor name {name!r} in {label}", hint="letters, digits, _ . -")
    if not isinstance(body, Mapping):
        raise ConfigError(f"{where} must be a table")
    _unknown(body, _TOP_KEYS, where)
    reader = _Reader(body, where)
    model = reader.text("model")
    if model is None or not model.strip():
        raise ConfigError(f'{where} needs model = "NAME" (the served model)')
    interval = reader.duration("interval")
    cron = reader.text("cron")
    if interval is not None and cron is not None:
        raise ConfigError(f"{where} has both interval and cron", hint="keep one of them")
    if cron is not None and len(cron.split()) not in (5, 6):
        raise ConfigError(f"{where}: cron {cron!r} needs 5 fields (minute hour day month weekday)")
    task = reader.text("task") or "auto"
    if task not in TASKS:
        raise ConfigError(f"{where}: task must be one of {', '.join(TASKS)}")
    window = reader.duration("window")
    window = timedelta(hours=24) if window is None else window
    if window <= timedelta(0):
        raise ConfigError(f"{where}: window must be longer than 0s")
    return MonitorConfig(
        name=name,
        model=model.strip(),
        window=window,
        reference=reader.text("reference"),
        interval=_positive(interval, "interval", where),
        cron=cron,
        suite=reader.text("suite"),
        prediction=reader.text("prediction"),
        columns=reader.names("columns"),
        ignore=reader.names("ignore") or (),
        task=task,
        positive_label=reader.scalar("positive_label"),
        bucket=_positive(reader.duration("bucket"), "bucket", where),
        baseline=reader.metrics("baseline"),
        thresholds=_thresholds(body.get("thresholds"), where),
        webhooks=reader.names("webhooks") or (),
        on_breach=reader.command("on_breach"),
        trigger_timeout=reader.duration("trigger_timeout") or timedelta(hours=1),
        repeat=reader.duration("repeat") or timedelta(hours=24),
        html=reader.text("html"),
        json=reader.text("json"),
        multivariate=reader.flag("multivariate", True),
    )


def _thresholds(body: Any, where: str) -> MonitorThresholds:
    if body is None:
        return MonitorThresholds()
    where = f"{where} (thresholds)"
    if not isinstance(body, Mapping):
        raise ConfigError(f"{where} must be a table")
    _unknown(body, _THRESHOLD_KEYS, where)
    reader = _Reader(body, where)
    share = reader.number("drift_share", 0.5)
    if not 0 < share <= 1:
        raise ConfigError(f"{where}: drift_share must be in (0, 1]")
    tests = {t: reader.number(t, 0.0) for t in DRIFT_TESTS if t in body}
    for test, value in tests.items():
        if test in ("ks", "chisquare") and not 0 < value < 1:
            raise ConfigError(f"{where}: {test} is a p-value threshold, between 0 and 1")
        if value <= 0:
            raise ConfigError(f"{where}: {test} must be positive")
    return MonitorThresholds(
        drift_share=share,
        tests=tests,
        validation_failures=reader.whole("validation_failures", 0),
        performance_decay=reader.number("performance_decay", 0.05),
        decay=reader.metrics("decay"),
        min_rows=reader.whole("min_rows", 0),
        min_labels=reader.whole("min_labels", 30),
        min_sample=reader.whole("min_sample", 30),
    )


def _positive(value: timedelta | None, key: str, where: str) -> timedelta | None:
    if value is not None and value <= timedelta(0):
        raise ConfigError(f"{where}: {key} must be longer than 0s")
    return value


def _unknown(body: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in body:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
            raise ConfigError(f"unknown key {key!r} in {where}", hint=hint)


class _Reader:
    """Typed reads of one table's keys, with errors naming the key."""

    def __init__(self, body: Mapping[str, Any], where: str) -> None:
        self.body = body
        self.where = where

    def _bad(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key} must be {expected}, got {self.body[key]!r}")

    def text(self, key: str) -> str | None:
        value = self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "text")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.body.get(key, default)
        if not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.body.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self._bad(key, "a non-negative number")
        return float(value)

    def whole(self, key: str, default: int) -> int:
        value = self.body.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._bad(key, "a non-negative whole number")
        return value

    def scalar(self, key: str) -> str | int | float | bool | None:
        value = self.body.get(key)
        if value is not None and not isinstance(value, str | int | float | bool):
            raise self._bad(key, "a number, text or a boolean")
        return value

    def duration(self, key: str) -> timedelta | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._bad(key, 'a duration such as "24h"')
        try:
            return parse_duration(str(value))
        except InvalidInput as exc:
            raise ConfigError(f"{self.where}: {key}: {exc.one_line()}") from None

    def names(self, key: str) -> tuple[str, ...] | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._bad(key, "a list of text")
        return tuple(value)

    def command(self, key: str) -> tuple[str, ...]:
        value = self.body.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            try:
                value = shlex.split(value)
            except ValueError as exc:
                raise ConfigError(f"{self.where}: {key} does not parse: {exc}") from None
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a command: a list of words or one line of text")
        return tuple(value)

    def metrics(self, key: str) -> dict[str, float]:
        value = self.body.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self._bad(key, "a table of metric = number")
        out: dict[str, float] = {}
        for metric, number in value.items():
            if metric not in METRICS:
                raise ConfigError(
                    f"{self.where}: unknown metric {metric!r} in {key}",
                    hint=f"use one of {', '.join(METRICS)}",
                )
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ConfigError(f"{self.where}: {key}.{metric} must be a number")
            out[metric] = float(number)
        return out
