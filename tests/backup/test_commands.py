"""shipyard backup and restore on the embedded store, as a user runs them."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard
from shipyard.context import open_context
from shipyard.runs import metric_history

Cli = Callable[..., Result]


def _log_runs(count: int, points: int = 50, first: int = 0) -> list[str]:
    ids = []
    for n in range(first, first + count):
        with shipyard.start_run(name=f"run-{n}") as run:
            run.log_param("n", n)
            for step in range(points):
                run.log_metric("loss", 1.0 / (step + 1 + n), step=step)
            Path(f"notes-{n}.txt").write_text(f"notes of run {n}\n" * 100)
            run.log_artifact(f"notes-{n}.txt")
            ids.append(run.id)
    return ids


def _restore(cli: Cli, tmp_path: Path, backups: Path, *extra: str) -> Result:
    uri = f"sqlite:///{tmp_path / 'restored.db'}"
    store = str(tmp_path / "restored-objects")
    return cli("--uri", uri, "restore", str(backups), "--store", store, *extra)


def _restored(tmp_path: Path, cli: Cli, *args: str) -> Result:
    uri = f"sqlite:///{tmp_path / 'restored.db'}"
    return cli("--uri", uri, "--project", "demo", *args)


@pytest.fixture
def restored_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", str(tmp_path / "restored-objects"))


def test_round_trip_keeps_runs_metrics_artifacts_and_the_audit_chain(
    cli: Cli, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _log_runs(3)
    backups = tmp_path / "backups"
    taken = json.loads(cli("backup", str(backups), "--json").stdout)
    assert taken["tables"]["runs"] == 3
    assert taken["copied_keys"] == taken["object_keys"] > 0

    monkeypatch.chdir(tmp_path)
    result = _restore(cli, tmp_path, backups)
    assert result.exit_code == 0, result.output
    assert f"restored snapshot {taken['snapshot']}" in result.stdout
    monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", str(tmp_path / "restored-objects"))
    listed = _restored(tmp_path, cli, "runs", "ls", "--json")
    assert sorted(run["id"] for run in json.loads(listed.stdout)["runs"]) == sorted(ids)
    assert _restored(tmp_path, cli, "fsck").exit_code == 0
    verified = _restored(tmp_path, cli, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    audit = json.loads(_restored(tmp_path, cli, "audit", "ls", "--json").stdout)
    assert any(entry["action"] == "store.restore" for entry in audit)
    ctx = open_context(tmp_path, flags={"store.uri": f"sqlite:///{tmp_path / 'restored.db'}",
                                        "project.name": "demo"})  # fmt: skip
    try:
        history = metric_history(ids[1], "loss", context=ctx)
        assert [point.step for point in history] == list(range(50))
        got = _restored(tmp_path, cli, "runs", "download", ids[2], "notes-2.txt",
                        "-o", str(tmp_path / "got"))  # fmt: skip
        assert got.exit_code == 0, got.output
        assert (tmp_path / "got" / "notes-2.txt").read_text() == "notes of run 2\n" * 100
    finally:
        ctx.close()


def test_a_second_backup_copies_only_new_objects(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    _log_runs(2)
    backups = tmp_path / "backups"
    first = json.loads(cli("backup", str(backups), "--json").stdout)
    second = json.loads(cli("backup", str(backups), "--json").stdout)
    assert second["copied_keys"] == 0
    assert second["object_keys"] == first["object_keys"]
    _log_runs(1, first=2)
    third = json.loads(cli("backup", str(backups), "--json").stdout)
    assert 0 < third["copied_keys"] < third["object_keys"]
    assert third["tables"]["runs"] == 3
    snapshots = sorted(p.name for p in (backups / "snapshots").iterdir())
    assert snapshots == sorted([first["snapshot"], second["snapshot"], third["snapshot"]])


def test_restore_picks_an_older_snapshot_on_request(
    cli: Cli, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log_runs(1)
    backups = tmp_path / "backups"
    first = json.loads(cli("backup", str(backups), "--json").stdout)
    _log_runs(2)
    cli("backup", str(backups), "--json")
    monkeypatch.chdir(tmp_path)
    result = _restore(cli, tmp_path, backups, "--snapshot", first["snapshot"], "--json")
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", str(tmp_path / "restored-objects"))
    assert len(json.loads(_restored(tmp_path, cli, "runs", "ls", "--json").stdout)["runs"]) == 1
    assert _restored(tmp_path, cli, "fsck").exit_code == 0


def test_restore_refuses_a_database_or_store_that_holds_anything(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    _log_runs(1)
    backups = tmp_path / "backups"
    cli("backup", str(backups))
    into_workspace = cli("restore", str(backups), "--store", str(tmp_path / "empty-objects"))
    assert into_workspace.exit_code != 0
    assert "is not empty" in into_workspace.output
    assert "Traceback" not in into_workspace.output
    (tmp_path / "busy-objects").mkdir()
    (tmp_path / "busy-objects" / "something").write_text("mine")
    uri = f"sqlite:///{tmp_path / 'restored.db'}"
    busy = cli("--uri", uri, "restore", str(backups), "--store", str(tmp_path / "busy-objects"))
    assert busy.exit_code != 0
    assert "is not empty" in busy.output
    assert (tmp_path / "busy-objects" / "something").read_text() == "mine"
    assert not (tmp_path / "restored.db").exists() or _tables_empty(tmp_path / "restored.db")


def _tables_empty(path: Path) -> bool:
    import sqlite3

    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return all(conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] == 0
                   for n in names if n != "alembic_version")  # fmt: skip


def _snapshot(backups: Path) -> Path:
    (only,) = (backups / "snapshots").iterdir()
    return only


def test_a_tampered_part_is_refused_and_nothing_is_restored(
    cli: Cli, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log_runs(2)
    backups = tmp_path / "backups"
    cli("backup", str(backups))
    part = _snapshot(backups) / "tables" / "runs" / "000001.jsonl.gz"
    original = part.read_bytes()
    lines = gzip.decompress(original).decode().splitlines()
    part.write_bytes(gzip.compress("\n".join(lines[:-1]).encode() + b"\n"))  # a run removed
    monkeypatch.chdir(tmp_path)
    result = _restore(cli, tmp_path, backups)
    assert result.exit_code != 0
    assert "does not match the backup's manifest" in result.output
    assert _tables_empty(tmp_path / "restored.db")
    part.write_bytes(original)  # the real part back: the same restore now completes
    again = _restore(cli, tmp_path, backups)
    assert again.exit_code == 0, again.output
    monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", str(tmp_path / "restored-objects"))
    assert len(json.loads(_restored(tmp_path, cli, "runs", "ls", "--json").stdout)["runs"]) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("key", "snapshots/OTHER/../../etc/passwd", "outside its snapshot"),
        ("key", "store/shipyard-store.json", "outside its snapshot"),
        ("digest", "not-hex", "bad digest"),
        ("rows", -1, "bad count"),
    ],
)
def test_a_hostile_manifest_is_refused_in_one_line(
    cli: Cli, workspace: Path, tmp_path: Path, field: str, value: object, message: str
) -> None:
    _log_runs(1)
    backups = tmp_path / "backups"
    cli("backup", str(backups))
    manifest_path = _snapshot(backups) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["runs"][0][field] = value
    manifest_path.write_text(json.dumps(manifest))
    result = _restore(cli, tmp_path, backups)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_part_that_expands_without_bound_is_refused(
    cli: Cli, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.backup import restore

    _log_runs(1)
    backups = tmp_path / "backups"
    cli("backup", str(backups))
    monkeypatch.setattr(restore, "PART_LIMIT", 100)  # the real limit is 256 MiB of rows
    result = _restore(cli, tmp_path, backups)
    assert result.exit_code != 0
    assert "expands beyond 100 bytes" in result.output


def test_bad_locations_and_snapshots_are_one_line_errors(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    _log_runs(1)
    objects = workspace / ".shipyard" / "objects"
    inside = cli("backup", str(objects / "backups"))
    assert inside.exit_code != 0
    assert "overlap" in inside.output
    assert not (objects / "backups").exists()
    assert "unsupported object store" in cli("backup", "https://example.com/b").output
    empty = _restore(cli, tmp_path, tmp_path / "nothing-here")
    assert empty.exit_code != 0
    assert "holds no finished backup snapshot" in empty.output
    cli("backup", str(tmp_path / "backups"))
    bad_id = _restore(cli, tmp_path, tmp_path / "backups", "--snapshot", "../../x")
    assert bad_id.exit_code != 0
    assert "is not a snapshot id" in bad_id.output
    unknown = _restore(cli, tmp_path, tmp_path / "backups", "--snapshot", "0" * 26)
    assert unknown.exit_code != 0
    assert "holds no finished snapshot" in unknown.output
