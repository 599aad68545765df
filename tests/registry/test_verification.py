"""Checking a version's signature on demand (the UI's "Verify now", the
``signature_valid`` gate): verified with evidence, or a one-line reason, never an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from shipyard.context import open_context
from shipyard.core.model_ref import ModelRef
from shipyard.models import register_model
from shipyard.models.signing.keys import generate_keys
from shipyard.registry.verification import verify_signature


def _check(name: str, number: int) -> dict[str, object]:
    with open_context() as ctx:
        version = ctx.registry.get_version(ctx.principal, ctx.project, ModelRef(name, number))
        return verify_signature(ctx, version).to_dict()


def test_a_signed_version_verifies_with_its_key_and_file_count(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    generate_keys(workspace / ".shipyard" / "keys")
    register_model(array_model, "churn", input_example=X[:5])
    found = _check("churn", 1)
    assert found["signed"] is True
    assert found["verified"] is True
    assert isinstance(found["files"], int)
    assert found["files"] >= 2
    assert f"covers the manifest and its {found['files']} files" in str(found["evidence"])
    assert found["fingerprint"]


def test_an_untrusted_signer_or_no_signature_is_an_answer_not_an_error(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    register_model(array_model, "plain", input_example=X[:5])
    assert _check("plain", 1) == {
        "signed": False, "verified": False, "evidence": "the version is not signed",
        "fingerprint": None, "key": None, "files": 0,
    }  # fmt: skip
    keys = workspace / ".shipyard" / "keys"
    generate_keys(keys)
    register_model(array_model, "churn", input_example=X[:5])
    generate_keys(keys, force=True)  # the signer's key is no longer trusted here
    found = _check("churn", 1)
    assert (found["signed"], found["verified"]) == (True, False)
    assert "signed by an unknown key" in str(found["evidence"])
