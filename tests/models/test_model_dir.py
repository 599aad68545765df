"""The model directory format: manifest, digests, all-or-nothing saves, refusing tampering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipyard.core.errors import AlreadyExists, IntegrityError, InvalidInput, NotFound, UnsafePath
from shipyard.core.model_manifest import MANIFEST_FILE
from shipyard.models import load_model, read_manifest, save_model
from shipyard.models.model_dir.digests import digest_file


@pytest.fixture
def saved(tmp_path: Path, frame_pipeline: Any, cancer_frame: tuple[pd.DataFrame, Any]) -> Path:
    X, _ = cancer_frame
    save_model(
        frame_pipeline,
        tmp_path / "model",
        input_example=X.head(20),
        metadata={"owner": "team-churn", "tags": ["baseline"]},
    )
    return tmp_path / "model"


def test_the_manifest_describes_everything(saved: Path) -> None:
    document = json.loads((saved / MANIFEST_FILE).read_text())
    assert document["format"] == "shipyard.model"
    assert document["version"] == 1
    assert document["flavor"] == "sklearn"
    assert document["metadata"] == {"owner": "team-churn", "tags": ["baseline"]}
    assert document["example_file"] == "input_example.json"
    assert document["signature"]["inputs"]["columns"][0] == {
        "name": "mean radius",
        "dtype": "float64",
    }
    for entry in document["files"]:
        path = saved / entry["path"]
        assert entry["size"] == path.stat().st_size
        assert entry["blake3"] == digest_file(path)
    assert {"python", "shipyard", "scikit-learn", "skops"} <= set(document["framework_versions"])
    assert read_manifest(saved).to_dict() == document


def test_the_loaded_model_keeps_signature_and_example(
    saved: Path, cancer_frame: tuple[pd.DataFrame, Any]
) -> None:
    X, _ = cancer_frame
    loaded = load_model(saved)
    pd.testing.assert_frame_equal(loaded.input_example(), X.head(20))
    assert loaded.validator is not None
    loaded.validator.validate(X.head(1))


def test_a_modified_file_is_refused_by_name(saved: Path) -> None:
    with (saved / "model.skops").open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(IntegrityError, match=r"model file model\.skops was modified") as error:
        load_model(saved)
    assert error.value.object_id == "model.skops"


def test_a_missing_file_is_refused_by_name(saved: Path) -> None:
    (saved / "input_example.json").unlink()
    with pytest.raises(IntegrityError, match=r"input_example\.json is missing"):
        load_model(saved)


def test_an_unlisted_file_is_refused(saved: Path) -> None:
    (saved / "payload.pkl").write_bytes(b"x")
    with pytest.raises(IntegrityError, match=r"does not list: payload\.pkl"):
        load_model(saved)


def test_a_manifest_path_leaving_the_directory_is_refused(saved: Path) -> None:
    document = json.loads((saved / MANIFEST_FILE).read_text())
    document["files"][0]["path"] = "../../etc/passwd"
    (saved / MANIFEST_FILE).write_text(json.dumps(document))
    with pytest.raises(UnsafePath, match=r"model file '\.\./\.\./etc/passwd' is not a plain") as e:
        load_model(saved)
    assert e.value.path == "../../etc/passwd"


def test_a_corrupt_or_newer_manifest_is_refused(saved: Path) -> None:
    manifest = saved / MANIFEST_FILE
    document = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**document, "version": 2}))
    with pytest.raises(IntegrityError, match="manifest format 2"):
        load_model(saved)
    manifest.write_text("{not json")
    with pytest.raises(IntegrityError, match="not valid JSON"):
        load_model(saved)


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no model directory"):
        load_model(tmp_path / "nowhere")
    with pytest.raises(NotFound, match="not a Shipyard model directory"):
        load_model(tmp_path)


def test_saving_over_a_non_empty_folder_is_refused(saved: Path, frame_pipeline: Any) -> None:
    before = sorted(p.name for p in saved.iterdir())
    with pytest.raises(AlreadyExists, match="nothing was written"):
        save_model(frame_pipeline, saved)
    assert sorted(p.name for p in saved.iterdir()) == before


def test_an_example_that_does_not_fit_leaves_nothing_behind(
    tmp_path: Path, frame_pipeline: Any
) -> None:
    with pytest.raises(InvalidInput, match="cannot predict on the input example"):
        save_model(frame_pipeline, tmp_path / "m", input_example=np.zeros((2, 3)))
    assert list(tmp_path.iterdir()) == []


def test_an_unfitted_model_is_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InvalidInput, match="LogisticRegression is not fitted"):
        save_model(LogisticRegression(), tmp_path / "m")


def test_metadata_must_be_json(tmp_path: Path, frame_pipeline: Any) -> None:
    with pytest.raises(InvalidInput, match="metadata must be JSON-ready"):
        save_model(frame_pipeline, tmp_path / "m", metadata={"when": object()})
    assert list(tmp_path.iterdir()) == []


def test_saving_into_an_empty_folder_works(tmp_path: Path, array_model: Any) -> None:
    (tmp_path / "m").mkdir()
    manifest = save_model(array_model, tmp_path / "m")
    assert manifest.signature is None
    assert load_model(tmp_path / "m").input_example() is None


def test_an_example_file_outside_the_file_list_is_refused(saved: Path) -> None:
    document = json.loads((saved / MANIFEST_FILE).read_text())
    document["example_file"] = "model.sig"
    (saved / MANIFEST_FILE).write_text(json.dumps(document))
    with pytest.raises(IntegrityError, match="not in its file list"):
        load_model(saved)
