"""Run artifacts in a workspace: stored, listed, downloaded safely, kept by gc."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

import shipyard
from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.runs import download_artifacts, get_run
from shipyard.tracking.tables import RunArtifactRow


def test_a_stored_path_never_writes_outside_the_destination(workspace: Path) -> None:
    """Artifact paths come from a store the client need not trust: checked before writing."""
    (workspace / "ok.txt").write_bytes(b"ok")
    with shipyard.start_run(name="r") as run:
        run.log_artifact(workspace / "ok.txt")
    with shipyard.open_context() as ctx, ctx.db.write() as session:
        session.execute(insert(RunArtifactRow).values(
            run_id=run.id, path="../escaped.txt", digest=digest_of(b"ok").hex, size=2,
        ))  # fmt: skip
    with pytest.raises(InvalidInput, match="must stay inside"):
        download_artifacts(run.id, workspace / "dest")
    assert not (workspace / "escaped.txt").exists()
    assert download_artifacts(run.id, workspace / "one", "ok.txt") == [workspace / "one/ok.txt"]
    with pytest.raises(NotFound, match=r"no artifact 'nope\.txt'"):
        download_artifacts(run.id, workspace / "one", "nope.txt")


def test_gc_keeps_what_runs_recorded(workspace: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (workspace / "model.bin").write_bytes(b"model")
    with shipyard.start_run(name="r") as run:
        digest = run.log_artifact(workspace / "model.bin")
    with shipyard.open_context() as ctx:
        loose = ctx.objects.put_bytes(b"nobody references me")
    result = cli("gc", "--grace", "0s")
    assert result.exit_code == 0, result.output
    with shipyard.open_context() as ctx:
        assert not ctx.objects.has(loose.digest)
        assert ctx.objects.has(Digest(digest))
    assert get_run(run.id).artifacts[0].path == "model.bin"


def test_artifacts_of_a_folder_keep_its_layout(workspace: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (workspace / "out" / "plots").mkdir(parents=True)
    (workspace / "out" / "metrics.json").write_text("{}")
    (workspace / "out" / "plots" / "loss.svg").write_text("<svg/>")
    with shipyard.start_run(name="r") as run:
        names = run.log_artifacts(workspace / "out")
    assert set(names) == {"metrics.json", "plots/loss.svg"}
    result = cli("runs", "download", run.id, "-o", str(workspace / "back"))
    assert result.exit_code == 0, result.output
    assert (workspace / "back" / "plots" / "loss.svg").read_text() == "<svg/>"
