"""ONNX models (``onnx.ModelProto``), run with onnxruntime.

The file is the model's protobuf bytes: data, never code. Tensors may keep
their bytes in side files ("external data", ``options={"external_data": True}``);
every session is made by :mod:`.onnx_files`, which refuses a side file outside
the model's folder. :class:`OnnxModel` wraps an onnxruntime session with input
conversion and is what both this flavor and the scikit-learn fast path
(``shipyard.models.onnx_fastpath``) return.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import Flavor, SavedFlavor, distribution_versions
from shipyard.models.flavors.onnx_files import external_tensors, new_session
from shipyard.models.signatures.infer import is_dataframe

__all__ = ["OnnxFlavor", "OnnxModel"]

MODEL_FILE = "model.onnx"
DATA_FILE = "model.onnx.data"
"""Where ``options={"external_data": True}`` puts the tensors (onnx's layout for large graphs)."""

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
        """A model given as bytes alone: it may keep no data in side files."""
        return cls(new_session(data, None))

    @classmethod
    def from_proto(cls, model: Any) -> OnnxModel:
        """An in-memory ``onnx.ModelProto`` (its external data, if any, must be loaded)."""
        return cls(new_session(model.SerializeToString(), None, model=model))

    @classmethod
    def from_file(cls, path: Path) -> OnnxModel:
        """The model in ``path``; its external data files must lie in the same folder."""
        return cls(new_session(path.read_bytes(), path.parent))

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
        outside = next(external_tensors(model), None)
        if outside is not None:  # its side file would not be saved with it
            raise InvalidInput(
                f"ONNX tensor {outside.name!r} keeps its data in an external file",
                hint="load the model with onnx.load(path) (which reads external data) before "
                'saving; options={"external_data": True} writes it beside the graph',
            )
        params: dict[str, Any] = {
            "file": MODEL_FILE,
            "opset": [o.version for o in model.opset_import],
        }
        if options.get("external_data"):
            copy = onnx.ModelProto()
            copy.CopyFrom(model)  # onnx.save_model moves the data out of the object it saves
            onnx.save_model(copy, str(directory / MODEL_FILE), save_as_external_data=True,
                            all_tensors_to_one_file=True, location=DATA_FILE)  # fmt: skip
            params["external_data"] = (directory / DATA_FILE).is_file()
        else:
            (directory / MODEL_FILE).write_bytes(model.SerializeToString())
        return SavedFlavor(
            params=params, framework_versions=distribution_versions("onnx", "onnxruntime")
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> OnnxModel:
        # From the file in its folder: external data resolves there, checked, never
        # against the working directory.
        return OnnxModel.from_file(directory / MODEL_FILE)

    def predict(self, model: Any, data: Any) -> Any:
        if isinstance(model, OnnxModel):
            return model.predict(data)
        return OnnxModel.from_proto(model).predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if isinstance(model, OnnxModel):
            return model.predict_proba(data)
        return OnnxModel.from_proto(model).predict_proba(data)
