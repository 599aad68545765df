"""The registry from Python, as a training script and a server use it, in a real workspace."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

import shipyard
from shipyard.context import open_context
from shipyard.core.digest import Digest
from shipyard.core.errors import IntegrityError, InvalidInput, NotFound, SignatureMismatch
from shipyard.core.model_ref import ModelRef
from shipyard.models import register_model, save_model
from shipyard.models.signing.keys import generate_keys
from shipyard.registry import alias_version, resolve_model
from shipyard.registry.aliases import AliasService
from shipyard.registry.cache import version_dir
from shipyard.registry.entities import ModelVersion

MODEL_SIGNING = Path(sys.executable).with_name("model_signing")


def _commit(workspace: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=workspace, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"],
        cwd=workspace,
        check=True,
    )


def _train(workspace: Path, frame: pd.DataFrame, model: object) -> ModelVersion:
    frame.to_csv(workspace / "train.csv", index=False)
    with shipyard.start_run(experiment="churn", name="lr") as run:
        run.log_input("train.csv")
        run.log_param("C", 1.0)
        version = run.log_model(model, "churn", input_example=frame.head(10))
        run.log_metric("accuracy", 0.93)  # after registration: the version still sees it
    return version


def test_log_model_then_load_by_uri(
    workspace: Path, cancer_frame: tuple[pd.DataFrame, pd.Series], frame_pipeline: Pipeline
) -> None:
    X, _ = cancer_frame
    _commit(workspace)
    generate_keys(workspace / ".shipyard" / "keys")
    version = _train(workspace, X, frame_pipeline)
    assert (version.version, version.uri, version.flavor) == (1, "models:/churn/1", "sklearn")
    assert version.signed
    lineage = version.lineage
    assert lineage["run"]["experiment"] == "churn"
    assert lineage["git"]["commit"] is not None
    assert lineage["params"] == {"C": "1.0"}
    assert [i["path"] for i in lineage["inputs"]] == ["train.csv"]
    expected = frame_pipeline.predict(X)
    for uri in ("models:/churn/1", "models:/churn@latest"):
        loaded = shipyard.load_model(uri)
        assert loaded.uri == "models:/churn/1"
        np.testing.assert_array_equal(loaded.predict(X), expected)
    with open_context() as ctx:
        AliasService(ctx.db).set_alias(ctx.principal, ctx.project, "churn", "production", 1)
        assert alias_version(ctx, "churn", "production") == 1
        assert alias_version(ctx, "churn", "latest") == 1
        assert alias_version(ctx, "churn", "staging") is None
        resolved = resolve_model(ctx, "models:/churn@production")
        assert (resolved.name, resolved.version) == ("churn", 1)
        assert resolved.signed_by is not None
        assert (resolved.directory / "model.skops").is_file()
        from shipyard.registry.lineage import version_metrics

        assert version_metrics(ctx, resolved.record) == {"accuracy": 0.93}
    np.testing.assert_array_equal(
        shipyard.load_model("models:/churn@production").predict(X), expected
    )


def test_model_signing_verify_accepts_a_registered_version(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    keys = generate_keys(workspace / ".shipyard" / "keys")
    register_model(array_model, "churn", input_example=X[:5])
    with open_context() as ctx:
        directory = resolve_model(ctx, "models:/churn/1").directory
    done = subprocess.run(
        [str(MODEL_SIGNING), "verify", "key", str(directory),
         "--signature", str(directory / "model.sig"), "--public_key", str(keys.public_key)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _flip_stored_byte(ctx: shipyard.Context, digest: str) -> None:
    """Corrupt one stored object in place, wherever the store keeps it (loose or packed)."""
    store = ctx.objects
    location = store._locate(store.name_for(Digest(digest)))
    assert location is not None
    root = ctx.objects_dir
    if location.key is not None:
        path, offset = root / location.key, (root / location.key).stat().st_size - 1
    else:
        assert location.pack_id is not None
        assert location.entry is not None
        path = root / "packs" / f"{location.pack_id}.pack"
        offset = location.entry.offset + location.entry.length - 1
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_a_tampered_model_is_refused_naming_the_file(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    version = register_model(array_model, "churn", input_example=X[:5])
    with open_context() as ctx:
        cached = version_dir(ctx, version)
        # 1. a file of the local cache is changed: refused, the file named
        (cached / "model.skops").write_bytes(b"not the model")
        with pytest.raises(IntegrityError, match=r"model\.skops") as caught:
            shipyard.load_model("models:/churn/1", context=ctx)
        assert caught.value.object_id == "model.skops"
        # 2. its manifest is swapped for another one: refused against the registry's record
        shutil.rmtree(cached)
        resolve_model(ctx, "models:/churn/1")
        (cached / "shipyard-model.json").write_text("{}")
        with pytest.raises(IntegrityError, match=r"shipyard-model\.json"):
            resolve_model(ctx, "models:/churn/1")
        # 3. the object in the store is corrupted: the fetch is refused, nothing is cached
        shutil.rmtree(cached)
        model_file = next(f for f in version.files if f.path == "model.skops")
        _flip_stored_byte(ctx, model_file.blake3)
        with pytest.raises(IntegrityError, match=r"model file model\.skops") as stored:
            shipyard.load_model("models:/churn/1", context=ctx)
        assert stored.value.object_id == "model.skops"
        assert not cached.exists()


def test_signature_policy_refuses_unsigned_and_stripped_models(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    register_model(array_model, "churn", input_example=X[:5])  # no key yet: unsigned
    config = workspace / ".shipyard" / "config.toml"
    text = config.read_text().replace("require_signatures = false", "require_signatures = true")
    config.write_text(text)
    with pytest.raises(IntegrityError, match="is not signed"):
        shipyard.load_model("models:/churn/1")
    with pytest.raises(InvalidInput, match="requires signed models"):
        register_model(array_model, "churn", input_example=X[:5])
    generate_keys(workspace / ".shipyard" / "keys")
    signed = register_model(array_model, "churn", input_example=X[:5])
    assert signed.version == 2
    assert signed.signed
    shipyard.load_model("models:/churn/2")
    with open_context() as ctx:
        (version_dir(ctx, signed) / "model.sig").unlink()  # stripping the signature
        with pytest.raises(IntegrityError, match=r"model\.sig"):
            resolve_model(ctx, "models:/churn/2")


def test_bad_models_and_references(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    with pytest.raises(InvalidInput, match="no flavor can save") as caught:
        register_model(object(), "churn")
    assert "sklearn" in str(caught.value.hint)
    assert "onnx" in str(caught.value.hint)
    with pytest.raises(InvalidInput, match="cannot predict on the input example"):
        register_model(array_model, "churn", input_example=X[:5, :3])
    with pytest.raises(InvalidInput, match="invalid model name"):
        register_model(array_model, "no/slashes", input_example=X[:5])
    with pytest.raises(NotFound, match="no model named 'churn'"):
        shipyard.load_model("models:/churn@latest")  # nothing above was registered
    register_model(array_model, "churn", input_example=X[:5])
    with pytest.raises(NotFound, match="has no alias 'production'"):
        shipyard.load_model("models:/churn@production")
    with pytest.raises(NotFound, match="has no version 2"):
        shipyard.load_model("models:/churn/2")
    with pytest.raises(InvalidInput, match="not a model reference"):
        shipyard.load_model("models:churn")
    model = shipyard.load_model("models:/churn/1")
    assert model.validator is not None
    with pytest.raises(SignatureMismatch):
        model.validator.validate(X[:2, :3])


def test_a_saved_directory_registers_untouched_and_gc_keeps_what_is_referenced(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    from datetime import timedelta

    from shipyard.objects.gc import gc

    X, _ = cancer_arrays
    save_model(array_model, workspace / "saved", input_example=X[:5])
    before = sorted(p.name for p in (workspace / "saved").iterdir())
    version = register_model(workspace / "saved", "churn", description="from a folder")
    assert sorted(p.name for p in (workspace / "saved").iterdir()) == before
    assert version.source == "directory"
    assert version.description == "from a folder"
    with shipyard.start_run() as run:
        (workspace / "report.txt").write_text("all good")
        run.log_artifact(workspace / "report.txt")
    with open_context() as ctx:
        ctx.objects.put_bytes(b"nobody references me")
        report = gc(ctx, grace=timedelta(0), dry_run=True)
        garbage = {r.name for r in report.garbage}
        kept = {f.blake3 for f in version.files}
        kept |= {a.digest for a in shipyard.runs.get_run(run.id).artifacts}
        assert {ctx.objects.name_for(Digest(d)) for d in kept}.isdisjoint(garbage)
        assert len(report.garbage) == 1
    assert shipyard.load_model("models:/churn/1").predict(X[:3]).shape == (3,)
    assert ModelRef.parse(version.uri).version == 1


def test_a_version_signed_by_an_unknown_key_is_refused(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    keys_dir = workspace / ".shipyard" / "keys"
    generate_keys(keys_dir)
    version = register_model(array_model, "churn", input_example=X[:5])
    generate_keys(keys_dir, force=True)  # the signer's key is no longer trusted here
    with pytest.raises(IntegrityError, match="signed by an unknown key") as caught:
        shipyard.load_model("models:/churn/1")
    assert caught.value.object_id == "model.sig"
    assert version.signer is not None
