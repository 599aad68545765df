"""Live monitoring in-process: the inference log, the results and the actions all here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Principal
from shipyard.monitoring.live.results_store import StoredResult, project_status
from shipyard.monitoring.live.service import MonitorRun, monitor

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.reader import Progress

__all__ = ["LocalMonitors"]


class LocalMonitors:
    """:class:`~shipyard.monitoring.live.api.Monitors` over the stores of ``ctx``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

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
        return monitor(self.ctx, config, now=now, interval_s=interval_s, act=act, save=save,
                       progress=progress, min_sample=min_sample)  # fmt: skip

    def status(self, principal: Principal, project: str) -> list[StoredResult]:
        return project_status(self.ctx.db, principal, project)
