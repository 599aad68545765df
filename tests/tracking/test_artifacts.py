"""Run artifacts in the object store: logging files and folders, output capture, autolog."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import insert
from typer.testing import Result

import shipyard
import shipyard.sklearn
from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.models import load_model
from shipyard.runs import download_artifacts, get_run
from shipyard.tracking.tables import RunArtifactRow

Cli = Callable[..., Result]


def test_files_and_folders_become_artifacts(workspace: Path, cli: Cli, tmp_path: Path) -> None:
    (workspace / "plots").mkdir()
    (workspace / "plots" / "roc.svg").write_text("<svg/>")
    (workspace / "plots" / "deep").mkdir()
    (workspace / "plots" / "deep" / "pr.svg").write_text("<svg>pr</svg>")
    (workspace / "notes.txt").write_text("first")
    with shipyard.start_run(name="art") as run:
        run.log_artifact("notes.txt")
        run.log_artifact(workspace / "notes.txt", "docs")
        records = run.log_artifact("plots")
        run.log_artifact("plots/roc.svg", "figures/final")
        (workspace / "notes.txt").write_text("second")
        run.log_artifact("notes.txt")  # the same path again replaces it
    assert [r.path for r in records] == ["plots/deep/pr.svg", "plots/roc.svg"]
    stored = {a.path: a for a in get_run(run.id).artifacts}
    assert sorted(stored) == [
        "docs/notes.txt",
        "figures/final/roc.svg",
        "notes.txt",
        "plots/deep/pr.svg",
        "plots/roc.svg",
    ]
    assert stored["notes.txt"].size == len("second")
    listed = cli("runs", "artifacts", run.id)
    assert listed.exit_code == 0, listed.output
    assert "plots/deep/pr.svg" in listed.stdout
    assert len(json.loads(cli("runs", "artifacts", run.id, "--json").stdout)) == 5
    dest = tmp_path / "out"
    got = cli("runs", "download", run.id, "plots", "--dest", str(dest))
    assert got.exit_code == 0, got.output
    assert (dest / "plots" / "deep" / "pr.svg").read_text() == "<svg>pr</svg>"
    assert not (dest / "notes.txt").exists()
    everything = cli("runs", "download", run.id, "--dest", str(dest), "--json")
    assert len(json.loads(everything.stdout)) == 5
    assert (dest / "notes.txt").read_text() == "second"
    missing = cli("runs", "download", run.id, "nothing/here", "--dest", str(dest))
    assert missing.exit_code == 2
    assert "no artifact 'nothing/here'" in missing.stderr


def test_bad_artifact_paths_are_refused(workspace: Path) -> None:
    (workspace / "a.txt").write_text("a")
    (workspace / "empty").mkdir()
    with shipyard.start_run() as run:
        for bad in ("../outside", "/abs", "a/../../b", "a//b", ""):
            with pytest.raises(InvalidInput, match="artifact path"):
                run.log_artifact("a.txt", bad or "/")
        with pytest.raises(InvalidInput, match="no file or folder"):
            run.log_artifact("missing.txt")
        with pytest.raises(InvalidInput, match="holds no files"):
            run.log_artifact("empty")
    with pytest.raises(Conflict, match="has ended"):
        run.log_artifact("a.txt")
    assert get_run(run.id).artifacts == ()


def test_in_process_an_artifact_must_name_an_object_of_its_size(workspace: Path) -> None:
    """The rule the team server applies (the project holds the object, of that size)
    holds embedded too: no artifact is recorded without its bytes."""
    with shipyard.start_run() as run:
        stored = run.backend.objects.put_bytes(b"weights")
        ghost = digest_of(b"never stored").hex
        with pytest.raises(NotFound, match=ghost):
            run.backend.record_artifacts(
                run.id, [("ok.bin", stored.digest.hex, 7), ("g", ghost, 3)]
            )
        with pytest.raises(InvalidInput, match="has 7 bytes"):
            run.backend.record_artifacts(run.id, [("w.bin", stored.digest.hex, 70)])
        run.backend.record_artifacts(run.id[:10], [("w.bin", stored.digest.hex, 7)])
    assert [(a.path, a.size) for a in get_run(run.id).artifacts] == [("w.bin", 7)]


def test_autolog_stores_the_fitted_model_as_a_safe_artifact(
    workspace: Path, tmp_path: Path
) -> None:
    X = np.random.default_rng(2).normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    shipyard.sklearn.autolog(experiment="auto")
    try:
        model = LogisticRegression().fit(X, y)
    finally:
        shipyard.sklearn.autolog(disable=True)
    run = shipyard.search_runs("auto")
    run_id = str(run["run_id"].iloc[0])
    paths = sorted(a.path for a in get_run(run_id).artifacts)
    assert paths == ["model/input_example.json", "model/model.skops", "model/shipyard-model.json"]
    from shipyard.context import open_context
    from shipyard.tracking.artifacts import download_artifacts

    with open_context() as ctx:
        download_artifacts(ctx.objects, get_run(run_id).artifacts, tmp_path, prefix="model")
    loaded = load_model(tmp_path / "model")  # digests verified, no pickle
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.signature is not None


@pytest.mark.slow
def test_shipyard_run_tees_the_output_into_artifacts(workspace: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("shipyard")
    script = (
        "import sys, time\n"
        "print('epoch 1', flush=False)\n"
        "print('a warning', file=sys.stderr)\n"
        "print('epoch 2')\n"
        "sys.exit(4)\n"
    )
    done = subprocess.run(
        [exe, "run", "-e", "tee", "--", sys.executable, "-c", script],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert "epoch 1\nepoch 2" in done.stdout  # still streamed to the terminal
    assert "a warning" in done.stderr
    listed = subprocess.run(
        [exe, "runs", "ls", "-e", "tee", "--json"], cwd=workspace, capture_output=True, text=True
    )
    run_id = json.loads(listed.stdout)["runs"][0]["id"]
    got = subprocess.run(
        [exe, "runs", "download", run_id, "logs", "--dest", str(tmp_path)],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "logs" / "stdout.log").read_text() == "epoch 1\nepoch 2\n"
    assert (tmp_path / "logs" / "stderr.log").read_text() == "a warning\n"
    plain = subprocess.run(
        [exe, "run", "-e", "tee", "--no-capture", "--", sys.executable, "-c", "print('x')"],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert plain.returncode == 0
    assert plain.stdout == "x\n"
    newest = json.loads(
        subprocess.run(
            [exe, "runs", "ls", "-e", "tee", "--json"], cwd=workspace, capture_output=True
        ).stdout
    )["runs"][0]
    assert newest["id"] != run_id
    shown = subprocess.run(
        [exe, "runs", "artifacts", newest["id"], "--json"], cwd=workspace, capture_output=True
    )
    assert json.loads(shown.stdout) == []


def test_a_stored_path_never_writes_outside_the_destination(workspace: Path) -> None:
    """Artifact paths come from a store the client need not trust: checked before writing."""
    (workspace / "ok.txt").write_bytes(b"ok")
    with shipyard.start_run(name="r") as run:
        run.log_artifact(workspace / "ok.txt")
    with shipyard.open_context() as ctx, ctx.db.write() as session:
        session.execute(insert(RunArtifactRow).values(
            run_id=run.id, path="../escaped.txt", digest=digest_of(b"ok").hex, size=2,
        ))  # fmt: skip
    with pytest.raises(InvalidInput, match=r"'\.\./escaped\.txt' is not a plain relative"):
        download_artifacts(run.id, workspace / "dest")
    assert not (workspace / "escaped.txt").exists()
    assert not (workspace / "dest").exists()  # refused before anything was written
    assert download_artifacts(run.id, workspace / "one", "ok.txt") == [workspace / "one/ok.txt"]
    with pytest.raises(NotFound, match=r"no artifact 'nope\.txt'"):
        download_artifacts(run.id, workspace / "one", "nope.txt")


def test_a_stored_git_path_or_a_linked_folder_is_refused_on_download(
    workspace: Path, tmp_path: Path
) -> None:
    (workspace / "ok.txt").write_bytes(b"ok")
    with shipyard.start_run(name="r") as run:
        run.log_artifact(workspace / "ok.txt", "sub")
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "sub").symlink_to(outside)
    with pytest.raises(InvalidInput, match="symbolic link"):
        download_artifacts(run.id, dest)
    assert list(outside.iterdir()) == []
    with shipyard.open_context() as ctx, ctx.db.write() as session:
        session.execute(insert(RunArtifactRow).values(
            run_id=run.id, path="x/.git/config", digest=digest_of(b"ok").hex, size=2,
        ))  # fmt: skip
    with pytest.raises(InvalidInput, match=r"\.git or \.shipyard folder"):
        download_artifacts(run.id, tmp_path / "fresh")


def test_logging_a_folder_skips_a_nested_git_folder(workspace: Path) -> None:
    (workspace / "out" / ".git").mkdir(parents=True)
    (workspace / "out" / ".git" / "config").write_text("[core]")
    (workspace / "out" / "model.bin").write_bytes(b"m")
    with shipyard.start_run(name="r") as run:
        names = {record.path for record in run.log_artifacts(workspace / "out")}
    assert names == {"model.bin"}


def test_gc_keeps_what_runs_recorded(workspace: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (workspace / "model.bin").write_bytes(b"model")
    with shipyard.start_run(name="r") as run:
        digest = run.log_artifact(workspace / "model.bin")[0].digest
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
        names = {record.path for record in run.log_artifacts(workspace / "out")}
    assert names == {"metrics.json", "plots/loss.svg"}
    result = cli("runs", "download", run.id, "-o", str(workspace / "back"))
    assert result.exit_code == 0, result.output
    assert (workspace / "back" / "plots" / "loss.svg").read_text() == "<svg/>"
