"""Importing MLflow models (made by the real MLflow, run from the peers' venv)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from typer.testing import Result

from shipyard.core.errors import InvalidInput, NotFound, UnsafePath, UntrustedModel
from shipyard.core.signature import ColumnSchema, TensorSchema
from shipyard.models import import_mlflow, load_model

PEERS_PYTHON = Path(__file__).resolve().parents[2] / "bench" / ".venv-peers" / "bin" / "python"

MAKE_MODELS = """
import json
import sys
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from typer.testing import Result
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=1000).fit(X, y)
signature = infer_signature(X, model.predict(X))
for fmt in ("cloudpickle", "skops"):
    mlflow.sklearn.save_model(
        model, f"{sys.argv[1]}/{fmt}", serialization_format=fmt,
        signature=signature, input_example=X.head(5),
    )
    predictions = mlflow.pyfunc.load_model(f"{sys.argv[1]}/{fmt}").predict(X)
    with open(f"{sys.argv[1]}/{fmt}.predictions.json", "w") as handle:
        json.dump(predictions.tolist(), handle)
"""


@pytest.fixture(scope="session")
def mlflow_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two MLflow sklearn models (cloudpickle and skops formats) saved by MLflow itself."""
    if not PEERS_PYTHON.exists():
        pytest.skip("MLflow lives in the peers' venv: run bench/setup to create it")
    root = tmp_path_factory.mktemp("mlflow")
    done = subprocess.run(
        [str(PEERS_PYTHON), "-c", MAKE_MODELS, str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    X, _ = load_iris(return_X_y=True, as_frame=True)
    return X


@pytest.mark.slow
def test_a_pickled_mlflow_model_is_refused_without_trust(
    mlflow_models: Path, tmp_path: Path
) -> None:
    with pytest.raises(UntrustedModel, match="is a pickle") as error:
        import_mlflow(mlflow_models / "cloudpickle", tmp_path / "out")
    assert "trusted=True" in (error.value.hint or "")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_trusted_pickle_becomes_a_safe_shipyard_model(
    mlflow_models: Path, tmp_path: Path, iris: pd.DataFrame
) -> None:
    source = mlflow_models / "cloudpickle"
    manifest = import_mlflow(source, tmp_path / "out", trusted=True)
    assert manifest.flavor == "sklearn"
    assert manifest.metadata["imported_from"] == "mlflow"
    assert not any(f.path.endswith((".pkl", ".pickle")) for f in manifest.files)
    signature = manifest.signature
    assert signature is not None
    assert isinstance(signature.inputs, ColumnSchema)
    assert signature.inputs.columns[0].name == "sepal length (cm)"
    assert signature.inputs.columns[0].dtype == "float64"
    assert isinstance(signature.outputs, TensorSchema)
    assert signature.outputs.tensors[0].dtype == "int64"
    loaded = load_model(tmp_path / "out")  # no trust needed any more
    expected = _mlflow_predictions(source, iris)
    np.testing.assert_array_equal(loaded.predict(iris), expected)
    pd.testing.assert_frame_equal(loaded.input_example(), iris.head(5))


@pytest.mark.slow
def test_an_mlflow_skops_model_imports_without_trust(
    mlflow_models: Path, tmp_path: Path, iris: pd.DataFrame
) -> None:
    manifest = import_mlflow(mlflow_models / "skops", tmp_path / "out")
    assert manifest.signature is not None
    loaded = load_model(tmp_path / "out")
    assert loaded.predict(iris).tolist() == _mlflow_predictions(mlflow_models / "skops", iris)


def _mlflow_predictions(source: Path, data: pd.DataFrame) -> list[int]:
    """What MLflow's own pyfunc loader predicted on the whole iris set, in the fixture."""
    predictions: list[int] = json.loads(source.with_suffix(".predictions.json").read_text())
    assert len(predictions) == len(data)
    return predictions


@pytest.mark.slow
def test_the_import_command_asks_for_trust(
    mlflow_models: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    source, target = str(mlflow_models / "cloudpickle"), str(tmp_path / "out")
    refused = cli("models", "import-mlflow", source, target)
    assert refused.exit_code == 2
    assert "is a pickle" in refused.stderr
    assert "--trust" in refused.stderr
    imported = cli("models", "import-mlflow", source, target, "--trust")
    assert imported.exit_code == 0, imported.output
    assert "no pickle" in imported.stdout
    assert (tmp_path / "out" / "model.skops").is_file()


@pytest.mark.slow
def test_import_with_a_name_registers_a_version(
    mlflow_models: Path, workspace: Path, iris: pd.DataFrame, cli: Callable[..., Result]
) -> None:
    source = str(mlflow_models / "skops")
    imported = cli("models", "import-mlflow", source, "--name", "iris", "--json")
    assert imported.exit_code == 0, imported.output
    version = json.loads(imported.stdout)
    assert (version["uri"], version["source"]) == ("models:/iris/1", "mlflow")
    assert version["schema"]["inputs"]["type"] == "columns"
    loaded = load_model("models:/iris@latest")
    assert loaded.predict(iris).tolist() == _mlflow_predictions(mlflow_models / "skops", iris)
    assert not list((workspace / ".shipyard" / "tmp").iterdir())  # the scratch folder is gone


def test_not_an_mlflow_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no MLmodel file"):
        import_mlflow(tmp_path, tmp_path / "out")


def test_only_the_sklearn_flavor_is_imported(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors:\n  pytorch: {model_data: data}\n")
    with pytest.raises(InvalidInput, match="this model has pytorch"):
        import_mlflow(tmp_path, tmp_path / "out")


def test_a_model_path_outside_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(
        "flavors:\n  sklearn: {pickled_model: ../../etc/passwd, serialization_format: pickle}\n"
    )
    with pytest.raises(UnsafePath, match=r"MLflow model file '\.\./\.\./etc/passwd'"):
        import_mlflow(tmp_path, tmp_path / "out", trusted=True)


def test_files_mlmodel_names_through_a_link_are_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    sio.dump(LogisticRegression(max_iter=1000).fit(X, y), outside / "model.skops")
    (outside / "example.json").write_text(json.dumps({"inputs": X[:2].tolist()}))
    folder = tmp_path / "mlflow"
    folder.mkdir()
    (folder / "model.skops").symlink_to(outside / "model.skops")
    (folder / "MLmodel").write_text(
        "flavors:\n  sklearn: {pickled_model: model.skops, serialization_format: skops}\n"
    )
    with pytest.raises(UnsafePath, match=r"MLflow model file 'model\.skops' goes through a sym"):
        import_mlflow(folder, tmp_path / "out")
    (folder / "model.skops").unlink()
    (folder / "model.skops").write_bytes((outside / "model.skops").read_bytes())
    (folder / "input").symlink_to(outside)  # a linked folder on the way to the example
    example = "saved_input_example_info: {artifact_path: input/example.json, type: ndarray}\n"
    with (folder / "MLmodel").open("a") as handle:
        handle.write(example)
    with pytest.raises(UnsafePath, match=r"'input/example\.json' goes through a symbolic link"):
        import_mlflow(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()
