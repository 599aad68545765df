"""Every flavor round-trips: the loaded model predicts exactly what the original did."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from shipyard.core.errors import InvalidInput, UntrustedModel
from shipyard.models import load_model, save_model
from tests.models.torch_modules import NotAModule, TinyNet
from tests.registry.helpers import Doubler, ThresholdModel, make_net


def test_sklearn_pipeline_on_a_dataframe(
    tmp_path: Path, frame_pipeline: Any, cancer_frame: tuple[pd.DataFrame, Any]
) -> None:
    X, _ = cancer_frame
    manifest = save_model(frame_pipeline, tmp_path / "m", input_example=X.head(10))
    assert manifest.flavor == "sklearn"
    assert [f.path for f in manifest.files] == ["input_example.json", "model.skops"]
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), frame_pipeline.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), frame_pipeline.predict_proba(X))
    assert manifest.framework_versions["scikit-learn"]
    assert manifest.framework_versions["skops"]


def test_a_custom_type_is_refused_unless_trusted(
    tmp_path: Path, cancer_arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = cancer_arrays
    model = make_pipeline(Doubler(), StandardScaler(), LogisticRegression()).fit(X, y)
    save_model(model, tmp_path / "m", input_example=X[:5])
    with pytest.raises(UntrustedModel, match=r"tests\.registry\.helpers\.Doubler") as error:
        load_model(tmp_path / "m")
    assert "trusted=True" in (error.value.hint or "")
    loaded = load_model(tmp_path / "m", trusted=True)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_onnx_graph(tmp_path: Path, array_model: Any, cancer_arrays: Any) -> None:
    from skl2onnx import to_onnx

    X, _ = cancer_arrays
    X32 = X.astype(np.float32)
    graph = to_onnx(array_model, X32[:1], options={"zipmap": False})
    manifest = save_model(graph, tmp_path / "m", input_example=X32[:10])
    assert manifest.flavor == "onnx"
    loaded = load_model(tmp_path / "m")
    reference = graph_predictions(graph, X32)
    np.testing.assert_array_equal(loaded.predict(X32), reference)
    np.testing.assert_array_equal(loaded.predict(X32), array_model.predict(X))


def graph_predictions(graph: Any, X: np.ndarray) -> Any:
    import onnxruntime as ort

    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})[0]


@pytest.mark.parametrize("kind", ["XGBClassifier", "Booster"])
def test_xgboost(tmp_path: Path, cancer_arrays: Any, kind: str) -> None:
    import xgboost

    X, y = cancer_arrays
    classifier = xgboost.XGBClassifier(n_estimators=8, max_depth=3).fit(X, y)
    model = classifier if kind == "XGBClassifier" else classifier.get_booster()
    manifest = save_model(model, tmp_path / "m", input_example=X[:5])
    assert manifest.flavor == "xgboost"
    assert manifest.flavor_params["kind"] == kind
    json.loads((tmp_path / "m" / "model.json").read_text())  # XGBoost's own JSON
    loaded = load_model(tmp_path / "m")
    if kind == "Booster":
        expected = model.predict(xgboost.DMatrix(X))
    else:
        expected = model.predict(X)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), expected)


def test_lightgbm_classifier_with_string_labels(tmp_path: Path, cancer_arrays: Any) -> None:
    import lightgbm

    X, y = cancer_arrays
    labels = np.where(y == 1, "benign", "malignant")
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, labels)
    manifest = save_model(model, tmp_path / "m", input_example=X[:5])
    assert manifest.flavor == "lightgbm"
    assert manifest.signature is not None
    assert manifest.signature.outputs is not None
    assert (tmp_path / "m" / "model.txt").read_text().startswith("tree")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-12)


def test_lightgbm_regressor(tmp_path: Path, cancer_arrays: Any) -> None:
    import lightgbm

    X, y = cancer_arrays
    model = lightgbm.LGBMRegressor(n_estimators=10, verbose=-1).fit(X, y.astype(float))
    save_model(model, tmp_path / "m")
    np.testing.assert_array_equal(load_model(tmp_path / "m").predict(X), model.predict(X))


def test_pytorch_module(tmp_path: Path, cancer_arrays: Any) -> None:
    X, _ = cancer_arrays
    X32 = X.astype(np.float32)
    torch.manual_seed(0)
    net = TinyNet(features=X.shape[1], hidden=4)
    manifest = save_model(
        net,
        tmp_path / "m",
        input_example=X32[:8],
        options={"init_kwargs": {"features": 30, "hidden": 4}},
    )
    assert manifest.flavor == "pytorch"
    assert manifest.flavor_params["module_class"] == "tests.models.torch_modules:TinyNet"
    assert manifest.signature is not None
    assert manifest.signature.outputs.to_dict()["tensors"][0]["shape"] == [-1, 2]  # type: ignore[union-attr]
    assert (tmp_path / "m" / "model.safetensors").is_file()
    loaded = load_model(tmp_path / "m")
    with torch.no_grad():
        expected = net(torch.from_numpy(X32)).numpy()
    np.testing.assert_array_equal(loaded.predict(X32), expected)


def test_pytorch_manifest_cannot_name_an_arbitrary_class(tmp_path: Path) -> None:
    net = TinyNet(features=3)
    save_model(net, tmp_path / "m", options={"init_kwargs": {"features": 3}})
    from shipyard.models.flavors.pytorch import PyTorchFlavor

    params = {"module_class": "tests.models.torch_modules:NotAModule", "init_kwargs": {}}
    with pytest.raises(UntrustedModel, match=r"not a subclass of torch\.nn"):
        PyTorchFlavor().load(tmp_path / "m", params, trusted=False)
    assert NotAModule.created is False


def test_a_class_defined_in_a_function_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="defined in a function"):
        save_model(make_net(3), tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_python_model_with_config_and_files(tmp_path: Path) -> None:
    model = ThresholdModel(threshold=0.5, weights=[1.0, -1.0, 0.5])
    model.vocabulary = {"a": 1}
    rows = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    manifest = save_model(model, tmp_path / "m", input_example=rows)
    assert manifest.flavor == "python"
    assert manifest.flavor_params["class"] == "tests.registry.helpers:ThresholdModel"
    assert manifest.flavor_params["config"] == {"threshold": 0.5, "weights": [1.0, -1.0, 0.5]}
    assert manifest.file("data/vocabulary.json") is not None
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded.raw, ThresholdModel)
    assert loaded.raw.vocabulary == {"a": 1}
    np.testing.assert_array_equal(loaded.predict(rows), model.predict(rows))


def test_an_object_no_flavor_supports_names_the_supported_ones(tmp_path: Path) -> None:
    class Mystery:
        def predict(self, data: Any) -> Any:
            return data

    with pytest.raises(InvalidInput, match="no flavor can save") as error:
        save_model(Mystery(), tmp_path / "m")
    hint = error.value.hint or ""
    for name in ("sklearn", "onnx", "xgboost", "lightgbm", "pytorch", "python"):
        assert name in hint
    assert not (tmp_path / "m").exists()


def test_a_named_flavor_that_does_not_fit_is_refused(tmp_path: Path, array_model: Any) -> None:
    with pytest.raises(InvalidInput, match="xgboost flavor cannot save a Pipeline"):
        save_model(array_model, tmp_path / "m", flavor="xgboost")
    with pytest.raises(InvalidInput, match="unknown model flavor 'pickle'"):
        save_model(array_model, tmp_path / "m", flavor="pickle")


def test_detection_imports_no_framework_that_is_not_loaded() -> None:
    code = (
        "import sys\n"
        "from sklearn.linear_model import LinearRegression\n"
        "from shipyard.models.flavors.registry import detect_flavor\n"
        "import numpy as np\n"
        "m = LinearRegression().fit(np.eye(3), [1, 2, 3])\n"
        "print(detect_flavor(m).name)\n"
        "try:\n"
        "    detect_flavor(object())\n"
        "except Exception as e:\n"
        "    print(type(e).__name__)\n"
        "heavy = {'torch', 'xgboost', 'lightgbm', 'onnx', 'onnxruntime'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["sklearn", "InvalidInput", "[]"]
