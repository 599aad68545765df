"""The checkpoint document: canonical, signed over its canonical bytes, strictly parsed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from shipyard.audit.checkpoint import Checkpoint, SignedCheckpoint
from shipyard.audit.keys import CheckpointSigner, TrustedKey
from shipyard.core.errors import InvalidInput
from tests.audit.kit import START, new_key


@pytest.fixture
def signer(tmp_path: Path) -> CheckpointSigner:
    return CheckpointSigner.load(new_key(tmp_path))


def _point(signer: CheckpointSigner) -> Checkpoint:
    return Checkpoint(12, 11, "ab" * 32, START, None, signer.fingerprint)


def test_a_signed_checkpoint_round_trips_and_verifies(signer: CheckpointSigner) -> None:
    signed = signer.sign(_point(signer))
    again = SignedCheckpoint.from_bytes(signed.to_bytes(), "test")
    assert again == signed
    assert signer.trusted.verifies(again)
    assert "PRIVATE" not in repr(signer)


def test_any_json_rendering_verifies_but_no_changed_value(signer: CheckpointSigner) -> None:
    signed = signer.sign(_point(signer))
    compact = json.dumps(signed.document(), separators=(",", ":")).encode()
    assert signer.trusted.verifies(SignedCheckpoint.from_bytes(compact, "compact"))
    for change in ({"count": 12}, {"seq": 13}, {"head": "cd" * 32}, {"previous": "0" * 64}):
        altered = SignedCheckpoint(replace(signed.checkpoint, **change), signed.signature)
        assert not signer.trusted.verifies(altered), change


def test_only_the_trusted_key_verifies(signer: CheckpointSigner, tmp_path: Path) -> None:
    other = CheckpointSigner.load(new_key(tmp_path, "other.pem"))
    signed = other.sign(replace(_point(signer), key=other.fingerprint))
    assert not signer.trusted.verifies(signed)
    public = TrustedKey.load(tmp_path / "other.pub.pem")
    assert public.fingerprint == other.fingerprint
    assert public.verifies(signed)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"type": "x"}, "its type is not"),
        ({"version": 2}, "written by a newer Shipyard"),
        ({"seq": 0}, "seq is not a positive whole number"),
        ({"count": True}, "count is not a positive whole number"),
        ({"head": "XY"}, "head is not 64 hex digits"),
        ({"previous": 5}, "previous is neither null nor 64 hex digits"),
        ({"time": "yesterday"}, "time is not an ISO 8601 time"),
        ({"time": "2026-03-01T12:00:00"}, "time has no time zone"),
        ({"extra": 1}, "it has the fields"),
    ],
)
def test_malformed_documents_are_refused_naming_the_source(
    signer: CheckpointSigner, change: dict[str, object], why: str
) -> None:
    document = signer.sign(_point(signer)).document()
    document["checkpoint"].update(change)
    with pytest.raises(InvalidInput, match=why) as caught:
        SignedCheckpoint.from_bytes(json.dumps(document).encode(), "audit/checkpoints/x")
    assert caught.value.one_line().startswith("audit/checkpoints/x is not a valid audit checkpoint")


def test_a_bad_signature_field_is_refused(signer: CheckpointSigner) -> None:
    document = signer.sign(_point(signer)).document()
    document["signature"]["value"] = "not base64!"
    with pytest.raises(InvalidInput, match="not base64"):
        SignedCheckpoint.from_bytes(json.dumps(document).encode(), "x")
    document["signature"] = {"algorithm": "rsa", "value": ""}
    with pytest.raises(InvalidInput, match="is not ecdsa-p256-sha256"):
        SignedCheckpoint.from_bytes(json.dumps(document).encode(), "x")
