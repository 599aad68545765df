"""``shipyard audit keygen|checkpoint|verify`` in a workspace: the round trip, the tamper
cases the CLI names, exported copies, bad keys as one-line errors, and the object
store's own commands leaving checkpoints alone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from typer.testing import Result

from shipyard.context import open_context
from shipyard.core.object_layout import AUDIT_CHECKPOINTS_PREFIX
from shipyard.store.db import Database
from tests.audit.kit import delete, rewrite_head, seqs

Cli = Callable[..., Result]


@pytest.fixture
def key(workspace: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Path:
    """A checkpoint key outside the workspace, configured through the environment."""
    path = workspace.parent / "secrets" / "audit-key.pem"
    made = cli("audit", "keygen", str(path))
    assert made.exit_code == 0, made.output
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_KEY", str(path))
    for name in ("ann", "bea", "cid"):
        assert cli("users", "add", name, "--no-password").exit_code == 0
    return path


def _db(workspace: Path) -> Database:
    return Database(f"sqlite:///{workspace / '.shipyard' / 'shipyard.db'}")


def _checkpoint_keys(workspace: Path) -> list[Path]:
    return sorted((workspace / ".shipyard" / "objects" / AUDIT_CHECKPOINTS_PREFIX).glob("*"))


def test_keygen_checkpoint_and_verify(cli: Cli, workspace: Path, key: Path) -> None:
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert key.with_name("audit-key.pub.pem").is_file()
    written = cli("audit", "checkpoint")
    assert written.exit_code == 0, written.output
    assert "signed checkpoint of entry #" in written.stdout
    assert len(_checkpoint_keys(workspace)) == 1
    assert "has not changed since the checkpoint" in cli("audit", "checkpoint").stdout
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "the audit log is intact" in verified.stdout
    assert "checked against 1 signed checkpoint(s)" in verified.stdout
    assert "newest checkpoint: entry #" in verified.stdout
    report = json.loads(cli("audit", "verify", "--json").stdout)
    assert report["intact"] is True
    assert report["after_checkpoint"] == 0
    assert report["checkpoint"]["count"] == report["entries"]


def test_verify_names_a_cut_log_and_exits_1(cli: Cli, workspace: Path, key: Path) -> None:
    assert cli("audit", "checkpoint").exit_code == 0
    db = _db(workspace)
    delete(db, *seqs(db)[-2:])
    rewrite_head(db)
    db.dispose()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "this entry is gone: entries at the end of the log were deleted" in result.stdout
    assert "the audit log was tampered with (1 problem(s))" in result.stdout
    refused = cli("audit", "checkpoint")  # and no signature for the cut log
    assert refused.exit_code == 1
    assert "does not extend its last checkpoint" in refused.stderr


def test_without_a_key_verify_warns_what_it_cannot_see(cli: Cli, workspace: Path) -> None:
    result = cli("audit", "verify")
    assert result.exit_code == 0
    assert "no signed checkpoint to check against" in result.stderr
    refused = cli("audit", "checkpoint")
    assert refused.exit_code == 2
    assert "no audit.checkpoint_key is configured" in refused.stderr


def test_exported_copies_catch_what_the_store_lost(
    cli: Cli, workspace: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = workspace.parent / "copies"
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_EXPORT_DIR", str(copies))
    written = cli("audit", "checkpoint")
    assert f"copied to {copies}" in written.stdout
    for path in _checkpoint_keys(workspace):  # someone with the store's keys, too
        path.unlink()
    db = _db(workspace)
    delete(db, seqs(db)[-1])
    rewrite_head(db)
    db.dispose()
    assert cli("audit", "verify").exit_code == 0  # nothing left to check against there
    result = cli("audit", "verify", "--checkpoints", str(copies))
    assert result.exit_code == 1
    assert "this entry is gone" in result.stdout


def test_an_auditor_needs_only_the_database_the_public_key_and_the_copies(
    cli: Cli, workspace: Path, key: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copies = tmp_path / "copies"
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_EXPORT_DIR", str(copies))
    assert cli("audit", "checkpoint").exit_code == 0
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no workspace, no object store, no private key here
    monkeypatch.delenv("SHIPYARD_AUDIT_CHECKPOINT_KEY")
    monkeypatch.setenv(
        "SHIPYARD_AUDIT_CHECKPOINT_PUBLIC_KEY", str(key.with_name("audit-key.pub.pem"))
    )
    uri = f"sqlite:///{workspace / '.shipyard' / 'shipyard.db'}"
    result = cli("--uri", uri, "audit", "verify", "--checkpoints", str(copies))
    assert result.exit_code == 0, result.output
    assert "checked against 1 signed checkpoint(s)" in result.stdout
    db = _db(workspace)
    delete(db, *seqs(db)[-2:])
    rewrite_head(db)
    db.dispose()
    assert cli("--uri", uri, "audit", "verify", "--checkpoints", str(copies)).exit_code == 1


def _pem(key: object, *, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _bad_keys(folder: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir()
    files = {
        "not-pem.pem": b"hello",
        "ed25519.pem": _pem(ed25519.Ed25519PrivateKey.generate()),
        "rsa.pem": _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "locked.pem": _pem(ec.generate_private_key(ec.SECP256R1()), password=b"pw"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "a-folder").mkdir()
    return {
        "missing": (folder / "nope.pem", "cannot read key file"),
        "a folder": (folder / "a-folder", "cannot read key file"),
        "not PEM": (folder / "not-pem.pem", "is not a PEM key"),
        "Ed25519": (folder / "ed25519.pem", "is not an ECDSA P-256 key"),
        "RSA": (folder / "rsa.pem", "is not an ECDSA P-256 key"),
        "password": (folder / "locked.pem", "is not a PEM key"),
    }


def test_bad_key_files_are_one_line_errors(
    cli: Cli, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for case, (path, message) in _bad_keys(workspace.parent / "bad").items():
        monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_KEY", str(path))
        result = cli("audit", "checkpoint")
        assert result.exit_code == 2, case
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (case, result.stderr)
        assert lines[0].startswith("error: audit.checkpoint_key: "), case
        assert message in lines[0], case
        assert "Traceback" not in result.output


def test_a_public_key_cannot_sign_and_a_bad_trusted_key_is_one_line(
    cli: Cli, workspace: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_KEY", str(key.with_name("audit-key.pub.pem")))
    result = cli("audit", "checkpoint")
    assert result.exit_code == 2
    assert "holds a public key, and signing needs the private key" in result.stderr
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_PUBLIC_KEY", str(workspace / "nope.pem"))
    result = cli("audit", "verify")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: audit.checkpoint_public_key: cannot read key file")


def test_a_bad_interval_is_a_config_error(
    cli: Cli, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_INTERVAL", "soon")
    result = cli("audit", "verify")
    assert result.exit_code == 2
    assert "setting audit.checkpoint_interval has a bad value 'soon'" in result.stderr


def test_keygen_refuses_to_replace_a_key(cli: Cli, workspace: Path, key: Path) -> None:
    result = cli("audit", "keygen", str(key))
    assert result.exit_code == 2
    assert "exists already" in result.stderr
    assert cli("audit", "keygen", str(key), "--force").exit_code == 0


def test_gc_fsck_and_stats_leave_checkpoints_alone(cli: Cli, workspace: Path, key: Path) -> None:
    assert cli("objects", "put", str(key.with_name("audit-key.pub.pem"))).exit_code == 0
    assert cli("audit", "checkpoint").exit_code == 0
    before = _checkpoint_keys(workspace)
    stats = json.loads(cli("objects", "stats", "--json").stdout)
    collected = cli("gc", "--grace", "0s")
    assert collected.exit_code == 0, collected.output
    assert cli("fsck").exit_code == 0
    assert _checkpoint_keys(workspace) == before
    after = json.loads(cli("objects", "stats", "--json").stdout)
    assert after["loose"] <= stats["loose"]  # gc took the unreferenced object, nothing else
    with open_context(workspace) as ctx:
        from shipyard.audit.vault import CheckpointVault

        assert len(CheckpointVault.of(ctx.objects).keys()) == 1
    assert cli("audit", "verify").exit_code == 0
