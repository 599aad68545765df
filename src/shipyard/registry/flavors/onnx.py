"""ONNX models (``onnx.ModelProto``), run with onnxruntime.

The file is the model's protobuf bytes: data, never code. :class:`OnnxModel`
wraps an onnxruntime session with input conversion and is what both this flavor
and the scikit-learn fast path (``shipyard.registry.onnx_fastpath``) return.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.registry.flavors.base import Flavor, SavedFlavor, distribution_versions
from shipyard.registry.signatures.infer import is_dataframe

__all__ = ["OnnxFlavor", "OnnxModel"]

MODEL_FILE = "model.onnx"

_NUMPY_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


class OnnxModel:
    """An onnxruntime session that takes arrays, DataFrames or dicts of arrays."""

    def __init__(self, session: Any) -> None:
        self.session = session
        inputs = session.get_inputs()
        self.input_names: list[str] = [i.name for i in inputs]
        self.input_dtypes: list[str] = [_NUMPY_TYPES.get(i.type, "float32") for i in inputs]
        self.output_names: list[str] = [o.name for o in session.get_outputs()]
        self._label = self.output_names[:1]
        self._proba = [n for n in self.output_names if "probabilit" in n.lower()][:1]

    @classmethod
    def from_bytes(cls, data: bytes) -> OnnxModel:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise InvalidInput(f"onnxruntime cannot load the model: {exc}") from exc
        return cls(session)

    def feeds(self, data: Any) -> dict[str, Any]:
        """Input arrays by name, converted to the dtypes the graph declares."""
        import numpy as np

        names, dtypes = self.input_names, self.input_dtypes
        if isinstance(data, Mapping):
            return {n: np.asarray(data[n], dtype=d) for n, d in zip(names, dtypes, strict=True)}
        if is_dataframe(data):
            if len(names) > 1:
                return {
                    n: data[n].to_numpy(dtype=d).reshape(-1, 1)
                    for n, d in zip(names, dtypes, strict=True)
                }
            return {names[0]: data.to_numpy(dtype=dtypes[0])}
        if len(names) != 1:
            raise InvalidInput(f"the ONNX model takes named inputs: {', '.join(names)}")
        array = data if type(data) is np.ndarray else np.asarray(data)
        if array.dtype != dtypes[0]:
            array = array.astype(dtypes[0])
        return {names[0]: array}

    def run(self, data: Any, outputs: list[str] | None = None) -> list[Any]:
        return list(self.session.run(outputs, self.feeds(data)))

    def predict(self, data: Any) -> Any:
        return self.session.run(self._label, self.feeds(data))[0]

    def predict_proba(self, data: Any) -> Any:
        if not self._proba:
            raise InvalidInput("this ONNX model has no probability output")
        return self.session.run(self._proba, self.feeds(data))[0]


class OnnxFlavor(Flavor):
    name = "onnx"
    modules = ("onnx",)
    description = "ONNX graphs (onnx.ModelProto), run with onnxruntime"

    def handles(self, model: object) -> bool:
        import onnx

        return isinstance(model, onnx.ModelProto)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        import onnx

        try:
            onnx.checker.check_model(model)
        except onnx.checker.ValidationError as exc:
            raise InvalidInput(f"the ONNX model is not valid: {exc}") from exc
        (directory / MODEL_FILE).write_bytes(model.SerializeToString())
        return SavedFlavor(
            params={"file": MODEL_FILE, "opset": [o.version for o in model.opset_import]},
            framework_versions=distribution_versions("onnx", "onnxruntime"),
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> OnnxModel:
        return OnnxModel.from_bytes((directory / MODEL_FILE).read_bytes())

    def predict(self, model: Any, data: Any) -> Any:
        if isinstance(model, OnnxModel):
            return model.predict(data)
        return OnnxModel.from_bytes(model.SerializeToString()).predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if isinstance(model, OnnxModel):
            return model.predict_proba(data)
        return OnnxModel.from_bytes(model.SerializeToString()).predict_proba(data)
