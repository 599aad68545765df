"""Scheduled and triggered pipelines configured in ``config.toml``.

Pure: this module only reads parsed TOML. One table per pipeline the
scheduler (``shipyard scheduler``) starts::

    [pipelines.retrain]
    pipeline = "flows:retrain"          # MODULE:NAME, importable from the workspace
    schedule = "0 3 * * *"              # cron, 5 fields, UTC (default: the pipeline's own)
    catch_up = "once"                   # after downtime: "skip" missed ticks, or run "once"
    on_dataset = ["sensors"]            # a new version of these datasets starts a run
    on_monitor = ["churn"]              # a breach of these live monitors starts a run
    on_alias = ["churn@production"]     # a move of these aliases starts a run
    webhooks = ["env:SLACK_WEBHOOK_URL"]  # told when a run it started fails (Slack-compatible)

    [pipelines.retrain.params]
    C = 0.5

Unknown keys and bad values are :class:`ConfigError`s naming the table and key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shipyard.core.errors import ConfigError

__all__ = ["CATCH_UP", "PipelineConfig", "parse_pipelines"]

CatchUp = Literal["skip", "once"]
CATCH_UP: tuple[CatchUp, ...] = ("skip", "once")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")
_REFERENCE = re.compile(r"[A-Za-z_][\w.]*(\.py)?:[A-Za-z_][\w.]*")
_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}@[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_KEYS = (
    "pipeline", "schedule", "catch_up", "params", "on_dataset", "on_monitor", "on_alias",
    "webhooks",
)  # fmt: skip


@dataclass(frozen=True)
class PipelineConfig:
    name: str
    pipeline: str
    """``MODULE:NAME`` of the ``@pipeline`` function."""
    schedule: str | None = None
    catch_up: CatchUp = "skip"
    params: Mapping[str, Any] = field(default_factory=dict)
    on_dataset: tuple[str, ...] = ()
    on_monitor: tuple[str, ...] = ()
    on_alias: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    """Where a failed run is announced: URLs, or ``env:NAME`` to keep secrets out of the file."""

    @property
    def triggered(self) -> bool:
        return bool(self.on_dataset or self.on_monitor or self.on_alias)


def parse_pipelines(table: Any, label: str = "config file") -> dict[str, PipelineConfig]:
    """Every ``[pipelines.<name>]`` table of a config document, checked."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"'pipelines' in {label} must be a table of [pipelines.<name>] tables")
    return {name: _parse(str(name), body, label) for name, body in table.items()}


def _parse(name: str, body: Any, label: str) -> PipelineConfig:
    where = f"[pipelines.{name}] in {label}"
    if not _NAME.fullmatch(name):
        raise ConfigError(f"bad pipeline name {name!r} in {label}", hint="letters, digits, _ . -")
    if not isinstance(body, Mapping):
        raise ConfigError(f"{where} must be a table")
    for key in body:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "keys: " + ", ".join(_KEYS)
            raise ConfigError(f"{where}: unknown key {key!r}", hint=hint)
    reference = body.get("pipeline")
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        raise ConfigError(f'{where} needs pipeline = "MODULE:NAME"')
    schedule = body.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or len(schedule.split()) != 5):
        raise ConfigError(f"{where}: schedule {schedule!r} needs 5 cron fields")
    catch_up = body.get("catch_up", "skip")
    if catch_up not in CATCH_UP:
        raise ConfigError(f"{where}: catch_up must be one of {', '.join(CATCH_UP)}")
    params = body.get("params", {})
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: params must be a table")
    aliases = _names(body, "on_alias", where)
    for alias in aliases:
        if not _ALIAS.fullmatch(alias):
            raise ConfigError(f"{where}: on_alias {alias!r} is not MODEL@ALIAS")
    return PipelineConfig(
        name=name,
        pipeline=reference,
        schedule=schedule,
        catch_up=catch_up,
        params=dict(params),
        on_dataset=_names(body, "on_dataset", where),
        on_monitor=_names(body, "on_monitor", where),
        on_alias=aliases,
        webhooks=_names(body, "webhooks", where),
    )


def _names(body: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = body.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {key} must be a list of names")
    return tuple(value)
