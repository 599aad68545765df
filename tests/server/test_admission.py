"""A burst of clients larger than a worker's thread pool is answered, in turn, not 500."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.serverkit import PROJECT, TeamServer

BURST = 120  # over both workers' 2 x 40 threads, each holding a connection


def test_a_burst_of_audited_writes_all_commit(team_server: TeamServer) -> None:
    headers = {"Authorization": f"Bearer {team_server.team.tokens['contributor']}"}
    experiment = f"burst-{uuid.uuid4().hex[:8]}"

    def start(n: int) -> int:
        with httpx.Client(timeout=300) as client:
            return client.post(
                f"{team_server.url}/api/v1/projects/{PROJECT}/runs",
                json={"experiment": experiment, "name": f"r{n}"},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            ).status_code

    with ThreadPoolExecutor(BURST) as pool:
        statuses = list(pool.map(start, range(BURST)))
    assert statuses == [201] * BURST
    search = httpx.post(
        f"{team_server.url}/api/v1/projects/{PROJECT}/runs/search",
        json={"experiments": [experiment], "limit": 1000},
        headers=headers,
        timeout=60,
    )
    assert search.status_code == 200, search.text
    assert len(search.json()["runs"]) == BURST
