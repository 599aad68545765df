"""The live-monitoring seam: run a monitor and read the results, in-process or on a server.

``ctx.monitoring`` picks :class:`~shipyard.monitoring.live.local.LocalMonitors`
(the stores are reachable: everything runs here) or
:class:`~shipyard.monitoring.live.remote.RemoteMonitors` (a team server reads
its inference log and keeps the results; the reference, the suite, the
webhooks and the ``on_breach`` command stay on this side). Callers never ask
which they got.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Principal
from shipyard.monitoring.live.results_store import StoredResult

if TYPE_CHECKING:
    from shipyard.monitoring.live.service import MonitorRun
    from shipyard.profiling.reader import Progress

__all__ = ["Monitors"]


class Monitors(Protocol):
    def run(
        self, config: MonitorConfig, *, now: datetime | None = ..., interval_s: float | None = ...,
        act: bool = ..., save: bool = ..., progress: Progress | None = ...,
        min_sample: int | None = ...,
    ) -> MonitorRun:  # fmt: skip
        """Run ``config`` once over its window ending ``now``, as the context's principal in
        its project: store the result (``save``), notify and trigger on a breach (``act``).
        Raises :class:`PermissionDenied` without the contributor role (viewer for a run
        that neither saves nor acts), :class:`NotFound` for a missing reference."""
        ...

    def status(self, principal: Principal, project: str) -> list[StoredResult]:
        """The newest result of every monitor of ``project`` (viewers)."""
        ...
