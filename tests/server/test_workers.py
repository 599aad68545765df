"""``shipyard server --workers 2``: two processes answer, and /metrics counts for both."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.server.crashkit import worker_pids
from tests.serverkit import TeamServer


def _health_count(server: TeamServer) -> float:
    text = httpx.get(f"{server.url}/metrics", headers=server.team.headers("viewer"),
                     timeout=10).text  # fmt: skip
    pattern = r'shipyard_http_requests_total\{method="GET",route="/health",status="200"\} (\S+)'
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def _writers(folder: Path) -> set[int]:
    return {int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("counter_*.db")}


@pytest.mark.slow
def test_two_workers_answer_and_metrics_add_up(team_server: TeamServer) -> None:
    workers = worker_pids(team_server.process.pid)
    assert len(workers) == 2
    before = _health_count(team_server)
    sent = 0
    # New connections are spread over the workers by the kernel: go on until both
    # answered some (bounded), then every request must be counted exactly once.
    while sent < 40 or (len(_writers(team_server.metrics)) < 2 and sent < 400):
        assert httpx.get(f"{team_server.url}/health", timeout=10).status_code == 200
        sent += 1
    assert _writers(team_server.metrics) <= set(workers)
    assert len(_writers(team_server.metrics)) == 2
    assert _health_count(team_server) - before == sent
