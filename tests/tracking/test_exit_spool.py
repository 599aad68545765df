"""A training process that exits while the team server is down finishes nothing and loses
nothing: its values go to a spool file, and ``shipyard runs sync`` stores them exactly once.

A real ``shipyard server`` (PostgreSQL, two workers) in a process of its own,
stopped and started again on the same port; the client is a real process
that exits normally (the SDK's exit handling ends its run).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import open_context
from shipyard.core.principal import LOCAL_OWNER
from shipyard.runs import get_run, metric_history
from shipyard.tracking.entities import RunStatus
from shipyard.workspace.create import init_workspace
from tests.conftest import git_init
from tests.serverkit import PROJECT, free_port, fresh_database, make_team, start_server, stop_server

SCRIPT = textwrap.dedent(
    """
    import sys
    import shipyard

    run = shipyard.start_run(experiment="outage", name="exits")
    for step in range(50):
        run.log_metric("loss", float(step))
    run.flush()  # these 50 are stored
    print(run.id, flush=True)
    sys.stdin.readline()  # the server is stopped meanwhile
    for step in range(50, 200):
        run.log_metric("loss", float(step))
    # the script ends here: the SDK's exit handling ends the run
    """
)


@dataclass
class Server:
    start: Callable[[], None]
    stop: Callable[[], None]
    env: dict[str, str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    folder = tmp_path / "server"
    folder.mkdir()
    with fresh_database("postgresql", folder) as database:
        team = make_team(database)
        uri = database.url.render_as_string(hide_password=False)
        args = ["--db", uri, "--store", str(folder / "objects"), "--workers", "2"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        port = free_port()
        running: list[subprocess.Popen[bytes]] = []

        def start() -> None:
            running.append(start_server(args, env, folder / "server.log", port=port)[0])

        def stop() -> None:
            stop_server(running.pop())

        start()
        try:
            yield Server(start, stop, {"SHIPYARD_URI": f"http://127.0.0.1:{port}",
                                       "SHIPYARD_TOKEN": team.tokens["contributor"],
                                       "SHIPYARD_PROJECT": PROJECT})  # fmt: skip
        finally:
            while running:
                stop()


@pytest.mark.slow
def test_a_process_exiting_while_the_server_is_down_spools_and_sync_stores_once(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Result],
) -> None:
    root = tmp_path / "work"
    root.mkdir()
    git_init(root)
    init_workspace(root, LOCAL_OWNER, project=PROJECT)
    # A short deadline for the client process: how long it keeps retrying before it exits.
    env = {**os.environ, **server.env, "SHIPYARD_CLIENT_RETRY_DEADLINE_S": "2"}
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=root, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert run_id, process.communicate(timeout=60)[1]
    server.stop()
    _, err = process.communicate("\n", timeout=240)
    assert process.returncode == 0, err

    spool = root / ".shipyard" / "spool" / f"{run_id}.jsonl"
    warnings = [line for line in err.splitlines() if line.startswith("shipyard:")]
    assert len(warnings) == 1, err
    # "not ended" if the background logger tried them first, else "end unconfirmed"
    said = rf"run {run_id} (not ended|end unconfirmed): 150 logged value\(s\) not confirmed"
    assert re.search(said, warnings[0]), warnings[0]
    assert str(spool) in warnings[0]
    assert "shipyard runs sync" in warnings[0]
    assert stat.S_IMODE(spool.stat().st_mode) == 0o600

    server.start()  # the same address
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(root)
    with open_context(root) as context:
        # Not finished: the server's liveness check marks it killed (its pid is gone).
        assert get_run(run_id, context=context).run.status is RunStatus.KILLED
        assert [p.step for p in metric_history(run_id, "loss", context=context)] == list(range(50))

        synced = cli("runs", "sync")
        assert synced.exit_code == 0, synced.output
        assert "150 value(s) stored" in synced.output
        assert "ended as finished" in synced.output  # revived as its own process, then ended
        assert not spool.exists()
        assert get_run(run_id, context=context).run.status is RunStatus.FINISHED
        points = metric_history(run_id, "loss", context=context)
        assert [p.step for p in points] == list(range(200))  # each value exactly once
        assert [p.value for p in points] == [float(s) for s in range(200)]
        assert cli("runs", "sync").exit_code == 0  # nothing left to do
