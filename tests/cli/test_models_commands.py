"""``shipyard keys …`` and ``shipyard models …`` as a user runs them."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import Result

from shipyard.models import save_model
from tests.conftest import squash

Cli = Callable[..., Result]


@pytest.fixture
def model_dir(workspace: Path) -> Path:
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    save_model(LogisticRegression().fit(X, y), workspace / "model", input_example=X[:5])
    return workspace / "model"


def test_keys_generate_writes_a_private_key_only_we_can_read(cli: Cli, workspace: Path) -> None:
    result = cli("keys", "generate")
    assert result.exit_code == 0, result.output
    keys = workspace / ".shipyard" / "keys"
    assert str(keys / "signing-key.pub.pem") in squash(result.stdout)
    assert stat.S_IMODE((keys / "signing-key.pem").stat().st_mode) == 0o600
    again = cli("keys", "generate")
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    assert "--force" in again.stderr
    assert cli("keys", "generate", "--force").exit_code == 0


def test_keys_generate_json(cli: Cli, workspace: Path) -> None:
    data = json.loads(cli("keys", "generate", "--json").stdout)
    assert Path(data["public_key"]).is_file()
    assert len(data["fingerprint"]) == 64
    listed = json.loads(cli("keys", "list", "--json").stdout)
    assert [k["name"] for k in listed] == ["workspace"]


def test_sign_verify_inspect(cli: Cli, model_dir: Path) -> None:
    assert cli("keys", "generate").exit_code == 0
    signed = cli("models", "sign", str(model_dir))
    assert signed.exit_code == 0, signed.output
    assert (model_dir / "model.sig").is_file()
    verified = cli("models", "verify", str(model_dir))
    assert verified.exit_code == 0, verified.output
    assert "signature valid" in verified.stdout
    inspected = cli("models", "inspect", str(model_dir))
    assert inspected.exit_code == 0, inspected.output
    assert "sklearn" in inspected.stdout
    assert "tensor: float64(any, 3)" in inspected.stdout
    manifest = json.loads(cli("models", "inspect", str(model_dir), "--json").stdout)
    assert manifest["flavor"] == "sklearn"


def test_verify_refuses_tampered_unsigned_and_unknown(
    cli: Cli, model_dir: Path, tmp_path: Path
) -> None:
    cli("keys", "generate")
    unsigned = cli("models", "verify", str(model_dir))
    assert unsigned.exit_code == 1
    assert "is not signed" in unsigned.stderr
    cli("models", "sign", str(model_dir))
    from shipyard.models.signing.keys import generate_keys

    stranger = generate_keys(tmp_path / "stranger")
    unknown = cli("models", "verify", str(model_dir), "--key", str(stranger.public_key))
    assert unknown.exit_code == 1
    assert "signed by an unknown key" in unknown.stderr
    (model_dir / "model.skops").write_bytes(b"not the model")
    tampered = cli("models", "verify", str(model_dir))
    assert tampered.exit_code == 1
    assert "model file model.skops was modified" in tampered.stderr


def test_trusting_another_signer(cli: Cli, model_dir: Path, tmp_path: Path) -> None:
    from shipyard.models.signing.keys import generate_keys

    cli("keys", "generate")
    colleague = generate_keys(tmp_path / "colleague")
    signed = cli("models", "sign", str(model_dir), "--key", str(colleague.private_key))
    assert signed.exit_code == 0, signed.output
    assert cli("models", "verify", str(model_dir)).exit_code == 1
    trusted = cli("keys", "trust", str(colleague.public_key), "--name", "ana")
    assert trusted.exit_code == 0, trusted.output
    assert cli("models", "verify", str(model_dir)).exit_code == 0
    bad_name = cli("keys", "trust", str(colleague.public_key), "--name", "../x")
    assert bad_name.exit_code == 2
    assert "invalid key name" in bad_name.stderr


def test_sign_without_a_key_says_how_to_make_one(cli: Cli, model_dir: Path) -> None:
    result = cli("models", "sign", str(model_dir))
    assert result.exit_code == 2
    assert "shipyard keys generate" in result.stderr


def test_inspect_of_a_folder_that_is_not_a_model(cli: Cli, workspace: Path) -> None:
    result = cli("models", "inspect", str(workspace))
    assert result.exit_code == 2
    assert "not a Shipyard model directory" in result.stderr
    assert "Traceback" not in result.output


def test_import_mlflow_of_a_folder_without_mlmodel(cli: Cli, workspace: Path) -> None:
    result = cli("models", "import-mlflow", str(workspace), str(workspace / "out"))
    assert result.exit_code == 2
    assert "no MLmodel file" in result.stderr


def test_the_workspace_policy_can_require_signatures(cli: Cli, model_dir: Path) -> None:
    from shipyard.context import open_context
    from shipyard.core.errors import IntegrityError
    from shipyard.models import load_model_in

    config = model_dir.parent / ".shipyard" / "config.toml"
    with open_context() as ctx:
        load_model_in(ctx, model_dir)  # signatures not required by default
    config.write_text(
        config.read_text().replace("require_signatures = false", "require_signatures = true")
    )
    with open_context() as ctx, pytest.raises(IntegrityError, match="is not signed"):
        load_model_in(ctx, model_dir)
    cli("keys", "generate")
    cli("models", "sign", str(model_dir))
    with open_context() as ctx:
        assert load_model_in(ctx, model_dir).manifest.flavor == "sklearn"
