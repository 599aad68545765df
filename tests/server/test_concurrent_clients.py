"""16 client processes log runs, upload artifacts and register model versions at once:
nothing lost, nothing twice, version numbers 1..16 without a gap.

Against the session's team server (PostgreSQL, S3, two worker processes):
each client is a Python process using the SDK with SHIPYARD_URI/TOKEN, as a
training job on another machine would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import shipyard
from shipyard.auth.remote import RemoteAuth
from shipyard.core.principal import LOCAL_OWNER
from shipyard.models import load_model
from shipyard.runs import download_artifacts, get_run, metric_history
from shipyard.tracking.session import sdk
from tests.serverkit import PROJECT, TeamServer

CLIENTS = 16
RUNS_PER_CLIENT = 2
STEPS = 200

CLIENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import shipyard

    experiment = sys.argv[1]
    client, runs, steps = (int(a) for a in sys.argv[2:5])
    folder = Path(sys.argv[5])
    model_name = sys.argv[6]
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
            if r == runs - 1:  # one version per client, all racing for the next number
                X = np.random.default_rng(client).normal(size=(40, 3))
                model = LogisticRegression().fit(X, X[:, 0] > 0)
                version = run.log_model(model, model_name, input_example=X[:3])
                print("version", version.version)
    print("done", client)
    """
)


@pytest.mark.slow
def test_sixteen_clients_at_once(
    team_server: TeamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = f"load-{tmp_path.name[-12:]}"
    model_name = f"m-{experiment}"
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **team_server.env("contributor")}
    if "PYTHONPATH" in os.environ:  # the clients run the code under test, as this process does
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where load_model caches
    processes = []
    for client in range(CLIENTS):
        folder = tmp_path / f"client-{client}"
        folder.mkdir()
        args = [sys.executable, str(script), experiment, str(client), str(RUNS_PER_CLIENT),
                str(STEPS), str(folder), model_name]  # fmt: skip
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
        versions = ctx.registry.list_versions(LOCAL_OWNER, PROJECT, model_name)
        assert sorted(v.version for v in versions) == list(range(1, CLIENTS + 1))  # no gap
        last_runs = {rid for rid, n in zip(frame["run_id"], frame["name"], strict=True)
                     if n.endswith(f"-r{RUNS_PER_CLIENT - 1}")}  # fmt: skip
        assert {v.run_id for v in versions} == last_runs  # each client's version, once
        assert all(v.lineage["run"]["id"] == v.run_id for v in versions)
        newest = load_model(f"models:/{model_name}@latest", context=ctx)
        assert newest.predict(np.zeros((2, 3))).shape == (2,)
        written = download_artifacts(frame["run_id"][0], tmp_path / "check", context=ctx)
        assert sorted(p.name for p in written) == ["own.bin", "shared.txt"]
        admin = RemoteAuth(admin_ctx.remote)
        report = admin.verify_audit(LOCAL_OWNER)
        assert report.breaks == []  # concurrent writers kept the hash chain whole
        assert report.entries > CLIENTS * RUNS_PER_CLIENT * 2
    finally:
        sdk.shutdown()
        ctx.close()
        admin_ctx.close()
