"""A stored result's HTML report, for the monitors API (and so the web UI) to serve.

The report is not stored as HTML: every run stores its result document (an object,
:mod:`.results_store`), and the page is rendered from it on request with
:func:`~shipyard.monitoring.live.html.render_monitor_html`, the page ``monitor run
--html`` writes, with the monitor's earlier results as its history. Serving it
through the API rather than as an object keeps the project's rights in one place
(viewers of the project), with no object grant to keep in step.

The page holds text from the monitored data (column names, category values), so
the route serves it in a sandbox (:data:`REPORT_HEADERS`): it has no script of its
own, and nothing in it can run script in the UI's origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.core.principal import Role
from shipyard.monitoring.live.html import render_monitor_html
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import (
    StoredResult,
    get_result,
    history,
    history_point,
    load_report,
)
from shipyard.server.sandbox import SANDBOX_HEADERS

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["HISTORY", "REPORT_HEADERS", "report_html"]

HISTORY = 30
"""Earlier results the report's history charts plot (as ``monitor run`` does)."""

REPORT_HEADERS = SANDBOX_HEADERS
"""How the report is served (a sandbox: see :mod:`shipyard.server.sandbox`)."""


def report_html(
    ctx: Context, monitor: str, result_id: str | None = None
) -> tuple[StoredResult, str]:
    """The result ``result_id`` of ``monitor`` (default: its newest) and its HTML report,
    for viewers of ``ctx``'s project. Raises :class:`PermissionDenied` for others and
    :class:`NotFound` for a monitor without that result."""
    ctx.principal.require(Role.VIEWER, ctx.project, "read monitor results")
    stored = get_result(ctx, monitor, result_id)
    result = MonitorResult.from_dict(load_report(ctx, stored))
    earlier = history(ctx, monitor, limit=HISTORY, before=stored.id)
    result.history = [history_point(p) for p in earlier]
    return stored, render_monitor_html(result)
