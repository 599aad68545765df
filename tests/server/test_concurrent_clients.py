"""16 client processes log runs and upload artifacts at once: nothing lost, nothing twice.

Against the session's team server (PostgreSQL, S3, two worker processes):
each client is a Python process using the SDK with SHIPYARD_URI/TOKEN, as a
training job on another machine would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import shipyard
from shipyard.auth.remote import RemoteAuth
from shipyard.core.principal import LOCAL_OWNER
from shipyard.runs import download_artifacts, get_run, metric_history
from shipyard.tracking.session import sdk
from tests.serverkit import TeamServer

CLIENTS = 16
RUNS_PER_CLIENT = 2
STEPS = 200

CLIENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import shipyard

    experiment = sys.argv[1]
    client, runs, steps = (int(a) for a in sys.argv[2:5])
    folder = Path(sys.argv[5])
    shared = folder / "shared.txt"
    shared.write_text("the same bytes in every client")
    own = folder / "own.bin"  # each client has its own folder
    own.write_bytes(bytes([client]) * 100_000)
    for r in range(runs):
        with shipyard.start_run(experiment, f"c{client}-r{r}") as run:
            run.log_params({"client": client, "run": r})
            run.set_tags({"group": "load"})
            for step in range(steps):
                run.log_metric("loss", client + r / 10 + step / 1000)
                if step % 100 == 99:
                    run.flush()  # several batches per run, racing the other clients'
            run.log_artifact(shared)
            run.log_artifact(own)
    print("done", client)
    """
)


@pytest.mark.slow
def test_sixteen_clients_at_once(team_server: TeamServer, tmp_path: Path) -> None:
    experiment = f"load-{tmp_path.name[-12:]}"
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **team_server.env("contributor")}
    processes = []
    for client in range(CLIENTS):
        folder = tmp_path / f"client-{client}"
        folder.mkdir()
        args = [sys.executable, str(script), experiment, str(client), str(RUNS_PER_CLIENT),
                str(STEPS), str(folder)]  # fmt: skip
        processes.append(subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT))  # fmt: skip
    outputs = [process.communicate(timeout=240)[0].decode() for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]

    ctx = team_server.context("viewer")
    admin_ctx = team_server.context("root")
    try:
        frame = shipyard.search_runs(experiment, max_results=1000, context=ctx)
        assert len(frame) == CLIENTS * RUNS_PER_CLIENT
        assert set(frame["status"]) == {"finished"}
        expected_names = {f"c{c}-r{r}" for c in range(CLIENTS) for r in range(RUNS_PER_CLIENT)}
        assert set(frame["name"]) == expected_names  # each once: no run was created twice
        digests = set()
        for run_id, name in zip(frame["run_id"], frame["name"], strict=True):
            client, r = (int(part[1:]) for part in name.split("-"))
            points = metric_history(run_id, "loss", context=ctx)
            assert [p.step for p in points] == list(range(STEPS)), name  # none lost or doubled
            assert points[-1].value == pytest.approx(client + r / 10 + (STEPS - 1) / 1000)
            detail = get_run(run_id, context=ctx)
            assert detail.run.params == {"client": str(client), "run": str(r)}
            artifacts = {a.path: a for a in detail.artifacts}
            assert set(artifacts) == {"shared.txt", "own.bin"}
            digests.add(artifacts["shared.txt"].digest)
        assert len(digests) == 1  # 32 uploads of the same bytes: one object
        written = download_artifacts(frame["run_id"][0], tmp_path / "check", context=ctx)
        assert sorted(p.name for p in written) == ["own.bin", "shared.txt"]
        admin = RemoteAuth(admin_ctx.remote)
        breaks, entries = admin.verify_audit(LOCAL_OWNER)
        assert breaks == []  # concurrent writers kept the hash chain whole
        assert entries > CLIENTS * RUNS_PER_CLIENT * 2
    finally:
        sdk.shutdown()
        ctx.close()
        admin_ctx.close()
