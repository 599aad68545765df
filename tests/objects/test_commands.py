"""shipyard fsck, gc and objects …, as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.objects import register_reference_source, unregister_reference_source
from tests.conftest import squash

Cli = Callable[..., Result]


def _put(cli: Cli, *paths: Path) -> list[dict[str, object]]:
    result = cli("objects", "put", *map(str, paths), "--json")
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_put_get_and_stats(cli: Cli, workspace: Path) -> None:
    (workspace / "a.txt").write_text("alpha")
    (workspace / "b.txt").write_text("beta")
    refs = _put(cli, workspace / "a.txt", workspace / "b.txt")
    assert [r["size"] for r in refs] == [5, 4]
    result = cli("objects", "get", str(refs[0]["digest"]), "copy/a.txt")
    assert result.exit_code == 0, result.output
    assert (workspace / "copy" / "a.txt").read_text() == "alpha"
    stats = json.loads(cli("objects", "stats", "--json").stdout)
    assert stats["records"] == 2
    assert stats["encrypted"] is False
    text = cli("objects", "put", "a.txt").stdout
    assert str(refs[0]["digest"]) in text


def test_fsck_passes_then_fails_listing_the_corrupt_object(cli: Cli, workspace: Path) -> None:
    (workspace / "a.txt").write_text("some content")
    digest = str(_put(cli, workspace / "a.txt")[0]["digest"])
    ok = cli("fsck", "--deep")
    assert ok.exit_code == 0, ok.output
    assert "all intact" in ok.stdout
    (path,) = (workspace / ".shipyard" / "objects" / "packs").glob("*.pack")
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    bad = cli("fsck")
    assert bad.exit_code == 1
    assert digest in squash(bad.stdout)
    assert "corrupt" in bad.stdout
    report = json.loads(cli("fsck", "--json").stdout)
    assert report["ok"] is False
    assert report["problems"][0]["object"] == digest


def test_fsck_reports_objects_the_metadata_references_but_the_store_lacks(
    cli: Cli, workspace: Path
) -> None:
    missing = "ab" * 32
    register_reference_source("test-refs", lambda _ctx: [missing])
    try:
        result = cli("fsck", "--json")
    finally:
        unregister_reference_source("test-refs")
    assert result.exit_code == 1
    problem = json.loads(result.stdout)["problems"][0]
    assert problem == {
        "object": missing,
        "problem": "missing",
        "where": "referenced by metadata",
        "detail": "object not stored",
    }


def test_gc_dry_run_then_gc(cli: Cli, workspace: Path) -> None:
    (workspace / "keep.txt").write_text("keep")
    (workspace / "drop.txt").write_text("drop")
    keep, drop = _put(cli, workspace / "keep.txt", workspace / "drop.txt")
    register_reference_source("test-refs", lambda _ctx: [str(keep["digest"])])
    try:
        young = json.loads(cli("gc", "--dry-run", "--json").stdout)
        assert young["garbage"] == []
        assert young["young"] == 1
        dry = cli("gc", "--dry-run", "--grace", "0s")
        assert dry.exit_code == 0, dry.output
        assert "would delete 1 unreferenced object" in dry.stdout
        assert str(drop["digest"]) in squash(dry.stdout)
        done = json.loads(cli("gc", "--grace", "0s", "--json").stdout)
        assert [g["name"] for g in done["garbage"]] == [drop["digest"]]
    finally:
        unregister_reference_source("test-refs")
    stats = json.loads(cli("objects", "stats", "--json").stdout)
    assert stats["records"] == 1
    assert "objects.gc" in cli("status").stdout


def test_gc_refuses_a_bad_grace(cli: Cli, workspace: Path) -> None:
    result = cli("gc", "--grace", "soon")
    assert result.exit_code == 2
    assert "cannot read the duration 'soon'" in result.stderr


def test_get_of_an_unknown_or_malformed_digest(cli: Cli, workspace: Path) -> None:
    result = cli("objects", "get", "ab" * 32, "out")
    assert result.exit_code == 2
    assert "is not in the object store" in result.stderr
    result = cli("objects", "get", "nonsense", "out")
    assert result.exit_code == 2
    assert "is not a BLAKE3 digest" in result.stderr


def test_an_encrypted_workspace_store(
    cli: Cli, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = workspace.parent / "objects.key"
    assert cli("objects", "keygen", str(key_file)).exit_code == 0
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = cli("objects", "keygen", str(key_file))
    assert again.exit_code == 2
    monkeypatch.setenv("SHIPYARD_OBJECTS_ENCRYPT", "true")
    monkeypatch.setenv("SHIPYARD_OBJECTS_KEY_FILE", str(key_file))
    (workspace / "secret.txt").write_text("top secret")
    digest = str(_put(cli, workspace / "secret.txt")[0]["digest"])
    assert json.loads(cli("objects", "stats", "--json").stdout)["encrypted"] is True
    status = json.loads(cli("status", "--json").stdout)
    assert status["objects"]["encrypted"] is True
    assert status["objects"]["records"] == 1
    monkeypatch.delenv("SHIPYARD_OBJECTS_KEY_FILE")
    refused = cli("objects", "get", digest, "out.txt")
    assert refused.exit_code == 2
    assert "encrypted and no key is configured" in refused.stderr
    key_text = key_file.read_text().strip()
    monkeypatch.setenv("SHIPYARD_OBJECTS_KEY", key_text)
    assert cli("objects", "get", digest, "out.txt").exit_code == 0
    assert (workspace / "out.txt").read_text() == "top secret"
    monkeypatch.setenv("SHIPYARD_OBJECTS_KEY", "11" * 32)
    wrong = cli("objects", "get", digest, "out2.txt")
    assert wrong.exit_code == 2
    assert "is not the key of the object store" in wrong.stderr
    assert key_text not in wrong.output
    assert "11" * 32 not in wrong.output
    doctor = cli("doctor")
    assert doctor.exit_code == 1
    assert "isnotthekeyoftheobjectstore" in squash(doctor.stdout)


def test_status_shows_the_object_counts(cli: Cli, workspace: Path) -> None:
    (workspace / "a.txt").write_text("a")
    _put(cli, workspace / "a.txt")
    result = cli("status")
    assert "object store" in result.stdout
    data = json.loads(cli("status", "--json").stdout)
    assert data["objects"]["records"] == 1
    assert data["objects"]["encrypted"] is False
