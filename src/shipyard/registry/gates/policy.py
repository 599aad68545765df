"""Promotion gate policies: ``[gates.<alias>]`` tables of ``config.toml``, checked and typed.

::

    [gates.production]
    metrics = { accuracy = ">= 0.85", log_loss = "< 0.35" }   # the version's metrics
    beats = { data = "data/holdout.csv", target = "churned", metric = "accuracy",
              min_delta = 0.01 }            # re-scored against the alias's current version
    validation = { suite = "suite.yaml", data = "data/holdout.csv" }
    latency = { p99_ms = 5, runs = 300 }    # single-row predict, local micro-benchmark
    card_complete = true                    # or a list of card fields
    signature_valid = true
    approval = { count = 1 }                # maintainers' approvals for this alias

Paths are relative to the workspace folder. Mistakes are :class:`ConfigError`
naming the alias and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ConfigError
from shipyard.registry.entities import CARD_FIELDS, REQUIRED_CARD_FIELDS
from shipyard.registry.gates.scoring import METRICS

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = [
    "ApprovalSpec",
    "BeatsSpec",
    "GatePolicy",
    "LatencySpec",
    "Threshold",
    "ValidationSpec",
    "load_policy",
    "parse_policy",
]

_KEYS = frozenset(
    {"metrics", "beats", "validation", "latency", "card_complete", "signature_valid", "approval"}
)
_THRESHOLD = re.compile(r"^\s*(>=|<=|>|<|==)?\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")
_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        return not math.isnan(actual) and bool(_OPS[self.op](actual, self.value))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class BeatsSpec:
    data: Path
    target: str
    metric: str
    min_delta: float
    alias: str
    """The alias whose current version the candidate must beat (default: the target alias)."""


@dataclass(frozen=True)
class ValidationSpec:
    suite: Path
    data: Path | None
    """None: the files the version's run read (its training data)."""


@dataclass(frozen=True)
class LatencySpec:
    p99_ms: float
    runs: int


@dataclass(frozen=True)
class ApprovalSpec:
    count: int


@dataclass(frozen=True)
class GatePolicy:
    """Every gate a version must pass to move ``alias``; ``raw`` is the table as written."""

    alias: str
    metrics: tuple[Threshold, ...] = ()
    beats: BeatsSpec | None = None
    validation: ValidationSpec | None = None
    latency: LatencySpec | None = None
    card_fields: tuple[str, ...] | None = None
    signature: bool = False
    approval: ApprovalSpec | None = None
    raw: Mapping[str, Any] | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.metrics
            or self.beats
            or self.validation
            or self.latency
            or self.card_fields
            or self.signature
            or self.approval
        )


def load_policy(ctx: Context, alias: str) -> GatePolicy:
    """The policy for ``alias`` from the settings (an empty one when none is configured)."""
    table = ctx.settings.gates.get(alias)
    base = ctx.settings.workspace or Path.cwd()
    return parse_policy(alias, table or {}, base)


def parse_policy(alias: str, table: Mapping[str, Any], base: Path) -> GatePolicy:
    """Check and type one ``[gates.<alias>]`` table; paths are resolved against ``base``."""
    where = f"[gates.{alias}]"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown gate {unknown[0]!r} in {where} of config.toml",
            hint=f"gates: {', '.join(sorted(_KEYS))}",
        )
    return GatePolicy(
        alias=alias,
        metrics=_metrics(table.get("metrics"), where),
        beats=_beats(table.get("beats"), where, alias, base),
        validation=_validation(table.get("validation"), where, base),
        latency=_latency(table.get("latency"), where),
        card_fields=_card(table.get("card_complete"), where),
        signature=_flag(table.get("signature_valid", False), f"{where} signature_valid"),
        approval=_approval(table.get("approval"), where),
        raw=dict(table),
    )


def _metrics(value: object, where: str) -> tuple[Threshold, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where} metrics must be a table of thresholds",
            hint='e.g. metrics = { accuracy = ">= 0.85" }',
        )
    found = []
    for metric, rule in value.items():
        if isinstance(rule, bool) or not isinstance(rule, int | float | str):
            raise ConfigError(f"{where} metrics.{metric} must be a number or a comparison")
        match = _THRESHOLD.match(str(rule))
        if match is None:
            raise ConfigError(
                f"{where} metrics.{metric} = {rule!r} is not a threshold",
                hint='write ">= 0.85", "< 0.3" or a number (meaning at least)',
            )
        found.append(Threshold(str(metric), match.group(1) or ">=", float(match.group(2))))
    return tuple(found)


def _table(value: object, where: str, example: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table", hint=f"e.g. {example}")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} needs {key} (text)")
    return value


def _number(table: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where} needs {key} (a number)")
    return float(value)


def _beats(value: object, where: str, alias: str, base: Path) -> BeatsSpec | None:
    if value is None:
        return None
    here = f"{where} beats"
    table = _table(value, here, 'beats = { data = "holdout.csv", target = "label" }')
    extra = sorted(set(table) - {"data", "target", "metric", "min_delta", "alias"})
    if extra:
        raise ConfigError(f"unknown key {extra[0]!r} in {here}")
    metric = _text(table, "metric", here, "accuracy")
    if metric not in METRICS:
        raise ConfigError(
            f"{here} metric {metric!r} is unknown", hint=f"known: {', '.join(METRICS)}"
        )
    delta = _number(table, "min_delta", here, 0.0)
    if delta < 0:
        raise ConfigError(f"{here} min_delta must not be negative")
    return BeatsSpec(
        data=base / _text(table, "data", here),
        target=_text(table, "target", here),
        metric=metric,
        min_delta=delta,
        alias=_text(table, "alias", here, alias),
    )


def _validation(value: object, where: str, base: Path) -> ValidationSpec | None:
    if value is None:
        return None
    here = f"{where} validation"
    table = _table(value, here, 'validation = { suite = "suite.yaml", data = "holdout.csv" }')
    data = table.get("data")
    if data is not None and not isinstance(data, str):
        raise ConfigError(f"{here} data must be a path")
    return ValidationSpec(
        suite=base / _text(table, "suite", here), data=base / data if data else None
    )


def _latency(value: object, where: str) -> LatencySpec | None:
    if value is None:
        return None
    here = f"{where} latency"
    table = _table(value, here, "latency = { p99_ms = 5 }")
    limit = _number(table, "p99_ms", here)
    runs = _number(table, "runs", here, 300)
    if limit <= 0 or runs < 20 or runs > 100_000 or runs != int(runs):
        raise ConfigError(f"{here}: p99_ms must be positive and runs a whole number ≥ 20")
    return LatencySpec(limit, int(runs))


def _card(value: object, where: str) -> tuple[str, ...] | None:
    if value is None or value is False:
        return None
    if value is True:
        return REQUIRED_CARD_FIELDS
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        unknown = [v for v in value if v not in CARD_FIELDS]
        if unknown:
            raise ConfigError(
                f"{where} card_complete names an unknown field {unknown[0]!r}",
                hint=f"fields: {', '.join(CARD_FIELDS)}",
            )
        return tuple(value)
    raise ConfigError(f"{where} card_complete must be true or a list of card fields")


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value


def _approval(value: object, where: str) -> ApprovalSpec | None:
    if value is None or value is False:
        return None
    if value is True:
        return ApprovalSpec(1)
    table = _table(value, f"{where} approval", "approval = { count = 2 }")
    count = _number(table, "count", f"{where} approval", 1)
    if count < 1 or count != int(count):
        raise ConfigError(f"{where} approval count must be a whole number ≥ 1")
    return ApprovalSpec(int(count))
