"""Signing in the OpenSSF model-signing format, checked by that package's own CLI too."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.errors import AlreadyExists, IntegrityError, InvalidInput, NotFound
from shipyard.models import load_model, save_model, sign_model, verify_model
from shipyard.models.signing.keys import KeyInfo, generate_keys, list_keys, trust_key

MODEL_SIGNING = Path(sys.executable).with_name("model_signing")


@pytest.fixture
def keys(tmp_path: Path) -> KeyInfo:
    return generate_keys(tmp_path / "keys")


@pytest.fixture
def model(tmp_path: Path, array_model: Any, cancer_arrays: Any) -> Path:
    X, _ = cancer_arrays
    save_model(array_model, tmp_path / "model", input_example=X[:5])
    return tmp_path / "model"


def _tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_generated_keys_are_p256_pem_and_the_private_one_is_private(keys: KeyInfo) -> None:
    assert keys.private_key is not None
    assert stat.S_IMODE(keys.private_key.stat().st_mode) == 0o600
    assert keys.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert keys.public_key.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    with pytest.raises(AlreadyExists, match="nothing was changed"):
        generate_keys(keys.public_key.parent)
    replaced = generate_keys(keys.public_key.parent, force=True)
    assert replaced.fingerprint != keys.fingerprint


def test_sign_then_verify_and_load(model: Path, keys: KeyInfo) -> None:
    assert keys.private_key is not None
    result = sign_model(model, keys.private_key)
    assert result.signature == model / "model.sig"
    verified = verify_model(model, [keys.public_key])
    assert verified.signed
    assert verified.fingerprint == keys.fingerprint
    load_model(model, require_signature=True, public_keys=[keys.public_key])


def test_an_unsigned_model_is_refused_where_signatures_are_required(
    model: Path, keys: KeyInfo
) -> None:
    with pytest.raises(IntegrityError, match="is not signed") as error:
        load_model(model, require_signature=True, public_keys=[keys.public_key])
    assert error.value.object_id == "model.sig"
    assert verify_model(model, [keys.public_key], required=False).signed is False


def test_a_signature_from_an_unknown_key_is_refused(
    model: Path, keys: KeyInfo, tmp_path: Path
) -> None:
    stranger = generate_keys(tmp_path / "stranger")
    assert stranger.private_key is not None
    sign_model(model, stranger.private_key)
    with pytest.raises(IntegrityError, match="signed by an unknown key"):
        load_model(model, require_signature=True, public_keys=[keys.public_key])
    trusted = trust_key(keys.public_key.parent, stranger.public_key, "stranger")
    assert [k.name for k in list_keys(keys.public_key.parent)] == ["workspace", "stranger"]
    load_model(model, require_signature=True, public_keys=[keys.public_key, trusted.public_key])


def test_tampering_after_signing_is_refused_naming_the_file(model: Path, keys: KeyInfo) -> None:
    assert keys.private_key is not None
    sign_model(model, keys.private_key)
    manifest = model / "shipyard-model.json"
    manifest.write_text(manifest.read_text().replace('"metadata": {}', '"metadata": {"x": 1}'))
    with pytest.raises(
        IntegrityError, match=r"shipyard-model\.json was modified since it was signed"
    ):
        verify_model(model, [keys.public_key])
    with pytest.raises(IntegrityError, match=r"shipyard-model\.json was modified"):
        load_model(model, require_signature=True, public_keys=[keys.public_key])


def test_a_tampered_model_is_never_signed(model: Path, keys: KeyInfo) -> None:
    assert keys.private_key is not None
    _tamper(model / "model.skops")
    with pytest.raises(IntegrityError, match=r"model\.skops was modified"):
        sign_model(model, keys.private_key)
    assert not (model / "model.sig").exists()


def test_no_trusted_keys_is_a_clear_error(model: Path, keys: KeyInfo) -> None:
    assert keys.private_key is not None
    sign_model(model, keys.private_key)
    with pytest.raises(InvalidInput, match="no trusted public keys"):
        verify_model(model, [])


def test_a_key_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    path = tmp_path / "p384.pem"
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(InvalidInput, match="not an ECDSA P-256 key"):
        trust_key(tmp_path / "keys", path, "p384")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(InvalidInput, match="not a PEM key"):
        trust_key(tmp_path / "keys", tmp_path / "junk.pem", "junk")


def _model_signing_verify(model: Path, public_key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(MODEL_SIGNING),
            "verify",
            "key",
            str(model),
            "--signature",
            str(model / "model.sig"),
            "--public_key",
            str(public_key),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_model_signing_cli_accepts_our_signature_and_rejects_tampering(
    model: Path, keys: KeyInfo
) -> None:
    assert keys.private_key is not None
    sign_model(model, keys.private_key)
    accepted = _model_signing_verify(model, keys.public_key)
    assert accepted.returncode == 0, accepted.stderr + accepted.stdout
    assert "Verification succeeded" in accepted.stdout + accepted.stderr
    _tamper(model / "model.skops")
    rejected = _model_signing_verify(model, keys.public_key)
    assert rejected.returncode != 0
    assert "model.skops" in rejected.stdout + rejected.stderr


def test_files_added_or_removed_after_signing_are_named(model: Path, keys: KeyInfo) -> None:
    assert keys.private_key is not None
    sign_model(model, keys.private_key)
    (model / "extra.bin").write_bytes(b"payload")
    with pytest.raises(IntegrityError, match=r"extra\.bin was added after signing"):
        verify_model(model, [keys.public_key])
    (model / "extra.bin").unlink()
    (model / "input_example.json").unlink()
    with pytest.raises(IntegrityError, match=r"input_example\.json is missing"):
        verify_model(model, [keys.public_key])


def test_key_paths_may_be_text_as_the_docs_write_them(
    model: Path, keys: KeyInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert keys.private_key is not None
    monkeypatch.chdir(keys.public_key.parent)  # "signing-key.pub.pem", as in docs/models.md
    sign_model(str(model), "signing-key.pem")
    assert verify_model(model, ["signing-key.pub.pem"]).fingerprint == keys.fingerprint
    assert verify_model(model, "signing-key.pub.pem").signed  # one key, not its characters
    loaded = load_model(model, require_signature=True, public_keys=["signing-key.pub.pem"])
    assert loaded.manifest.flavor == "sklearn"
    load_model(model, public_keys=[str(keys.public_key)])
    # a missing key file is one clear line, signed model or not
    with pytest.raises(NotFound, match=r"cannot read key file missing\.pem: No such file") as e:
        load_model(model, require_signature=True, public_keys=["missing.pem"])
    assert "\n" not in e.value.one_line()
    (model / "model.sig").unlink()
    with pytest.raises(NotFound, match=r"cannot read key file missing\.pem"):
        load_model(model, public_keys=["missing.pem"])
    with pytest.raises(NotFound, match=r"no signing key at missing\.pem"):
        sign_model(model, "missing.pem")
