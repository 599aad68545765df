"""``shipyard monitor status`` in both modes: what the monitors stored, read by a viewer.

Monitors run where the inference log is and store their results in the
metadata store; a data scientist on a laptop reads them through the team
server. Each test stores a result the way a monitor host does
(:func:`save_result`), then asks the CLI.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shipyard.context import Context, open_context
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import save_result
from tests.contracts.sdk_modes import Mode
from tests.serverkit import server_context


def _monitor_host(mode: Mode, tmp_path: Path) -> Context:
    """A context with direct access to the store the mode's metadata lives in."""
    if mode.server is None:
        return open_context(mode.root)
    return server_context(
        mode.server.database, objects=tmp_path / "monitor-host", **{"project.name": mode.project}
    )


def test_status_lists_the_newest_result_of_each_monitor(mode: Mode, tmp_path: Path) -> None:
    name = mode.unique("churn-daily")
    end = datetime.now(UTC)
    host = _monitor_host(mode, tmp_path)
    try:
        for rows in (0, 1_234):  # two runs of one monitor: status shows the newer
            result = MonitorResult(name, "churn", end - timedelta(hours=24), end, 3600.0, rows)
            save_result(host, result, interval_s=None, notified=False)
    finally:
        host.close()
    answer = mode.cli("monitor", "status", "--json")
    assert answer.exit_code == 0, answer.output
    mine = [m for m in json.loads(answer.stdout)["monitors"] if m["monitor"] == name]
    assert len(mine) == 1
    assert (mine[0]["rows"], mine[0]["status"], mine[0]["model"]) == (1_234, "ok", "churn")
    table = mode.cli("monitor", "status")
    assert table.exit_code == 0, table.output
    assert name[:12] in table.output


def test_status_of_a_project_without_results(mode: Mode) -> None:
    answer = mode.cli("--project", mode.unique("quiet"), "monitor", "status")
    if mode.remote:  # the contributor holds no role in that project: refused, in one line
        assert answer.exit_code == 2, answer.output
        assert answer.output.strip().count("\n") <= 1
        assert "may not read monitor results" in answer.output
    else:  # the workspace's owner may read any project of it
        assert answer.exit_code == 0, answer.output
        assert "no monitor has run yet" in answer.output
