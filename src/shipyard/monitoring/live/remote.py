"""Live monitoring against a team server: the HTTP side of :mod:`.api`.

A run is split where the data is: this side resolves the reference and the
suite (files here), the server reads the window of its inference log,
decides whether to notify and keeps the result; then this side posts its own
webhooks and runs its own ``on_breach`` command, and the server audits what
they did (:mod:`.wire` says what travels).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from shipyard.client.http import read_answer
from shipyard.core.errors import InvalidInput
from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Principal
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import StoredResult
from shipyard.monitoring.live.runner import resolve_path
from shipyard.monitoring.live.service import MonitorRun, take_actions
from shipyard.monitoring.live.wire import config_table

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.reader import Progress

__all__ = ["RemoteMonitors"]

API = "/api/v1"


class RemoteMonitors:
    """:class:`~shipyard.monitoring.live.api.Monitors` of a team server."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _monitors(self, project: str) -> str:
        return f"{API}/projects/{quote(project, safe='')}/monitors"

    def run(
        self,
        config: MonitorConfig,
        *,
        now: datetime | None = None,
        interval_s: float | None = None,
        act: bool = True,
        save: bool = True,
        progress: Progress | None = None,
        min_sample: int | None = None,
    ) -> MonitorRun:
        ctx = self.ctx
        body: dict[str, Any] = {
            "config": config_table(config),
            "reference": self._reference(config),
            "suite": self._suite(config),
            "save": save,
            "act": act,
            "webhooks": bool(config.webhooks),
            "trigger": bool(config.on_breach),
            "min_sample": min_sample,
            "interval_s": interval_s,
            "now": now.isoformat() if now is not None else None,
        }
        path = f"{self._monitors(ctx.project)}/{quote(config.name, safe='')}/runs"
        run = read_answer(_run, ctx.remote.post(path, body))
        if run.event is not None:
            take_actions(ctx, config, run)
            ctx.remote.post(f"{path[: -len('/runs')]}/actions", {
                "event": run.event, "breaches": run.result.breach_kinds,
                "webhooks": [o.to_dict() for o in run.webhooks], "problems": run.problems,
                "trigger": run.trigger.to_dict() if run.trigger is not None else None,
                "result": run.stored.id if run.stored is not None else None,
            })  # fmt: skip
        return run

    def _reference(self, config: MonitorConfig) -> dict[str, Any] | None:
        from shipyard.monitoring.sources import load_profile

        if not config.reference:
            return None  # the server may know one from the registry
        label, profile = load_profile(resolve_path(self.ctx, config.reference), context=self.ctx)
        return {"label": label, "profile": profile.to_dict()}

    def _suite(self, config: MonitorConfig) -> str | None:
        from shipyard.validate.suite import load_suite

        if not config.suite:
            return None
        path = Path(resolve_path(self.ctx, config.suite))
        load_suite(path)  # a broken suite is said here, with its line numbers
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read the suite {path}: {exc}") from None

    def status(self, principal: Principal, project: str) -> list[StoredResult]:
        answer = self.ctx.remote.get(self._monitors(project))
        return [read_answer(StoredResult.from_dict, r) for r in answer["monitors"]]


def _run(data: dict[str, Any]) -> MonitorRun:
    stored = data.get("stored")
    return MonitorRun(
        MonitorResult.from_dict(data["result"]),
        stored=StoredResult.from_dict(stored) if stored is not None else None,
        event=data.get("event"),
    )
