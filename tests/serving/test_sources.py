"""The model-source seam: model directories, versions folders, aliases, unknown schemes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.models.source import open_source, register_source_scheme, split_served_name
from tests.serving.conftest import Models, move_aliases, versions_folder


def test_a_model_directory_is_one_version_named_by_its_manifest(
    models: Models, tmp_path: Path
) -> None:
    copy = tmp_path / "churn-model"
    shutil.copytree(models.logistic, copy)
    source = open_source(str(copy))
    assert source.name == "churn-model"
    first = source.resolve()
    assert first.path == copy.resolve()
    assert len(first.version) == 12
    assert open_source(f"churn={copy}").name == "churn"
    shutil.rmtree(copy)
    shutil.copytree(models.constant, copy)  # a new model saved in its place
    assert source.current_version() != first.version
    with pytest.raises(InvalidInput, match="no alias"):
        source.alias("staging")
    with pytest.raises(NotFound, match="has no version"):
        source.resolve("0123456789ab")


def test_a_versions_folder_with_aliases(models: Models, tmp_path: Path) -> None:
    folder = versions_folder(tmp_path, models, {"production": "1"})
    newest = open_source(str(folder))
    assert newest.current_version() == "2"
    production = open_source(f"{folder}@production")
    assert production.current_version() == "1"
    assert production.resolve().path == folder / "1"
    assert production.resolve("2").version == "2"
    move_aliases(folder, {"production": "2"})
    assert production.current_version() == "2"
    with pytest.raises(NotFound, match="no alias 'staging'"):
        production.alias("staging").current_version()
    with pytest.raises(NotFound):
        production.resolve("../1")


def test_unknown_references_fail_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no model at"):
        open_source(str(tmp_path / "missing"))
    with pytest.raises(InvalidInput, match="no model source handles 'registry:'"):
        open_source("registry:/churn@production")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFound, match="neither a model directory"):
        open_source(str(tmp_path / "empty"))
    with pytest.raises(InvalidInput, match="cannot be a served model name"):
        open_source("x", name="bad name!")


def test_other_packages_add_schemes(models: Models) -> None:
    from shipyard.models.folders import open_folder

    def opener(reference: str, name: str | None) -> object:
        return open_folder(str(models.logistic), name or reference.split(":/", 1)[1])

    register_source_scheme("test-models", opener)  # type: ignore[arg-type]
    assert open_source("test-models:/churn").name == "churn"
    assert split_served_name("a=models:/x@y") == ("a", "models:/x@y")
    assert split_served_name("models:/x@y") == (None, "models:/x@y")


def test_the_serving_package_imports_nothing_heavy_until_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, shipyard.serving as s; "
        "heavy = [m for m in ('starlette', 'numpy', 'prometheus_client') if m in sys.modules]; "
        "assert not heavy, heavy; "
        "assert s.ServeOptions and 'numpy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
