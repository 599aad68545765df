"""gc roots of monitoring: the stored reports of live monitor runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shipyard.objects.references import register_reference_source

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["monitor_report_objects"]


def monitor_report_objects(ctx: Context) -> Iterator[str]:
    from shipyard.monitoring.live.results_store import all_report_digests

    yield from all_report_digests(ctx)


register_reference_source("monitor-reports", monitor_report_objects)
