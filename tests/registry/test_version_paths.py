"""File paths of registered versions are untrusted bytes: checked before anything is written.

A version's file list comes from the registry (a team server's answer in
remote mode) and becomes files in the model cache. Every path goes through
the one validator (``core/relpath.py``), duplicates and file/folder clashes
included, and files are written only below the cache folder.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sqlalchemy import update

import shipyard
from shipyard.context import open_context
from shipyard.core.errors import UnsafePath
from shipyard.core.model_manifest import FileEntry
from shipyard.models import register_model
from shipyard.registry.cache import cache_root, version_dir
from shipyard.registry.entities import ModelVersion, VersionDraft
from shipyard.registry.service import RegistryService
from shipyard.registry.tables import ModelVersionRow


def _register(workspace: Path, model: Pipeline, X: np.ndarray) -> ModelVersion:
    version = register_model(model, "churn", input_example=X[:5])
    with open_context() as ctx:
        shutil.rmtree(version_dir(ctx, version))  # not cached: the next load fetches
    return version


def _store_files(version: ModelVersion, files: list[FileEntry]) -> None:
    """Rewrite the registry's record of the version's files (as a hostile server would)."""
    with open_context() as ctx, ctx.db.write() as session:
        session.execute(
            update(ModelVersionRow)
            .where(ModelVersionRow.version == version.version)
            .values(files={"files": [f.to_dict() for f in files]})
        )


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(
    ("path", "named", "why"),
    [
        ("../x", "../x", "is not a plain relative path"),
        (".git/hooks/post-checkout", ".git/hooks/post-checkout", "names a .git or .shipyard"),
        ("model.skops", "model.skops", "appears twice"),
        ("model.skops/x", "model.skops", "is both a file and a folder"),
    ],
)
def test_a_bad_file_path_is_refused_on_fetch_and_nothing_is_written(
    workspace: Path,
    array_model: Pipeline,
    cancer_arrays: tuple[np.ndarray, np.ndarray],
    path: str,
    named: str,
    why: str,
) -> None:
    X, _ = cancer_arrays
    version = _register(workspace, array_model, X)
    model_file = next(f for f in version.files if f.path == "model.skops")
    _store_files(version, [*version.files, FileEntry(path, model_file.blake3, model_file.size)])
    with open_context() as ctx:
        root = cache_root(ctx)
    before = _tree(root)
    with pytest.raises(UnsafePath, match=re.escape(f"model file '{named}' {why}")) as error:
        shipyard.load_model("models:/churn/1")
    assert error.value.path == named
    assert _tree(root) == before  # no staging folder, no file, anywhere
    assert not (root.parent / "x").exists()


def test_a_version_with_a_bad_path_is_never_registered(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    version = _register(workspace, array_model, X)
    sneaky = FileEntry("../../.shipyard/keys/signing-key.pem", version.files[0].blake3, 1)
    draft = VersionDraft(
        flavor=version.flavor,
        files=(*version.files, sneaky),
        manifest_digest=version.manifest_digest,
    )
    with open_context() as ctx:
        with pytest.raises(UnsafePath, match="file of a model version"):
            RegistryService(ctx.db).register_version(ctx.principal, ctx.project, "churn", draft)
        registry = RegistryService(ctx.db)
        assert registry.get_model(ctx.principal, ctx.project, "churn").version_count == 1


def test_the_cache_folder_is_built_from_checked_parts(
    workspace: Path, array_model: Pipeline, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = cancer_arrays
    version = register_model(array_model, "churn", input_example=X[:5])
    with open_context() as ctx:
        for change in ({"manifest_digest": "/../../../../x"}, {"name": ".."}, {"project": ".git"}):
            with pytest.raises(UnsafePath, match="model cache folder"):
                version_dir(ctx, dataclasses.replace(version, **change))  # type: ignore[arg-type]
