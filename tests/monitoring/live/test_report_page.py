"""A stored result's HTML report, rendered from its stored document: the drift it found,
and the monitor's earlier results as its history (only those before it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shipyard.context import Context
from shipyard.core.errors import NotFound, PermissionDenied
from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Principal, Role
from shipyard.monitoring.live.report_page import report_html
from shipyard.monitoring.live.results_store import history
from shipyard.monitoring.live.service import monitor
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame


def test_the_report_of_a_result_shows_its_drift_and_the_results_before_it(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    config = MonitorConfig(name="churn", model="churn", reference=str(reference),
                           multivariate=False)  # fmt: skip
    log.predictions(columns_of(frame(1200, shift=1.0)), at=NOW - timedelta(hours=1))
    for hours in range(3):
        monitor(ctx, config, now=NOW + timedelta(hours=hours))
    first, _, newest = history(ctx, "churn")
    stored, page = report_html(ctx, "churn")
    assert stored.id == newest.id
    assert "<h1>Monitor churn</h1>" in page
    assert "Earlier runs" in page  # the two results before it
    for feature in ("age", "income", "plan"):
        assert f">{feature}<" in page
    oldest, page = report_html(ctx, "churn", first.id)
    assert oldest.id == first.id
    assert "Earlier runs" not in page  # nothing came before the first
    with pytest.raises(NotFound, match="no result"):
        report_html(ctx, "churn", "0" * 26)
    outsider = ctx.as_principal(Principal(name="o", kind="user", roles={"x": Role.MAINTAINER}))
    with pytest.raises(PermissionDenied):
        report_html(outsider, "churn")
