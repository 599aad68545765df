"""Converting an MLflow model directory into a Shipyard model directory.

Reads ``MLmodel`` (YAML), loads the scikit-learn flavor's model file — a
pickle or cloudpickle only with ``trusted=True``, a skops file with skops'
type check — converts MLflow's signature (column specs or tensor specs) and
input example, and saves everything with :func:`save_model` in skops format.
MLflow itself is not needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, NotFound, UntrustedModel
from shipyard.core.model_manifest import ModelManifest
from shipyard.core.relpath import check_relpath
from shipyard.core.signature import (
    ColumnSchema,
    ColumnSpec,
    Schema,
    Signature,
    TensorSchema,
    TensorSpec,
)
from shipyard.models.flavors.pickled import load_pickle
from shipyard.workspace.destinations import refuse_links

__all__ = ["convert_mlflow_signature", "import_mlflow", "read_mlmodel"]

_COLUMN_TYPES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
    "binary": "bytes",
    "datetime": "datetime",
}
_PICKLE_FORMATS = ("pickle", "cloudpickle")


def read_mlmodel(directory: Path) -> dict[str, Any]:
    """The parsed ``MLmodel`` file; :class:`NotFound` or :class:`InvalidInput` otherwise."""
    import yaml

    path = directory / "MLmodel"
    if not path.is_file():
        raise NotFound(
            f"{directory} is not an MLflow model directory (no MLmodel file)",
            hint="point at the folder that holds MLmodel (e.g. mlruns/…/artifacts/model)",
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise InvalidInput(f"{path} lists no flavors")
    return document


def import_mlflow(
    source: Path | str,
    destination: Path | str,
    *,
    trusted: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> ModelManifest:
    """Convert the MLflow model in ``source`` into a Shipyard model in ``destination``.

    Pickled models load only with ``trusted=True`` (otherwise
    :class:`UntrustedModel` explains why); the result holds no pickle.
    """
    from shipyard.models.model_dir.save import save_model

    folder = Path(source)
    mlmodel = read_mlmodel(folder)
    flavors = mlmodel["flavors"]
    sklearn_flavor = flavors.get("sklearn")
    if not isinstance(sklearn_flavor, dict):
        raise InvalidInput(
            f"Shipyard imports MLflow's sklearn flavor; this model has "
            f"{', '.join(sorted(flavors)) or 'no flavor'}",
            hint="save the model with mlflow.sklearn, or load it yourself and use save_model",
        )
    model = _load_sklearn(folder, sklearn_flavor, trusted=trusted)
    signature = None
    raw_signature = mlmodel.get("signature")
    if isinstance(raw_signature, dict) and raw_signature.get("inputs"):
        signature = convert_mlflow_signature(raw_signature)
    example = _read_example(folder, mlmodel.get("saved_input_example_info"))
    extra = {
        "imported_from": "mlflow",
        "mlflow_version": str(mlmodel.get("mlflow_version", "")),
        "mlflow_model_uuid": str(mlmodel.get("model_uuid", "")),
        "mlflow_run_id": str(mlmodel.get("run_id", "") or ""),
        **dict(metadata or {}),
    }
    return save_model(
        model,
        destination,
        input_example=example,
        flavor="sklearn",
        signature=signature,
        metadata=extra,
    )


def _load_sklearn(folder: Path, flavor: Mapping[str, Any], *, trusted: bool) -> Any:
    # MLmodel is untrusted bytes: the file must be inside the folder, through no link.
    name = check_relpath(flavor.get("pickled_model"), what="MLflow model file")
    path = refuse_links(folder, name, what="MLflow model file")
    if not path.is_file():
        raise NotFound(f"the MLflow model file {name} is missing from {folder}")
    fmt = flavor.get("serialization_format", "cloudpickle")
    if fmt in _PICKLE_FORMATS:
        return load_pickle(path, trusted=trusted, what="the MLflow scikit-learn model")
    if fmt == "skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        if untrusted and not trusted:
            raise UntrustedModel(
                f"{name} holds types outside skops' safe list ({', '.join(untrusted)})",
                hint="pass trusted=True (CLI: --trust) if you trust the model's source",
            )
        return sio.load(path, trusted=untrusted or None)
    raise InvalidInput(f"unknown MLflow serialization format {fmt!r} for {name}")


def convert_mlflow_signature(raw: Mapping[str, Any]) -> Signature:
    """A Shipyard :class:`Signature` from MLflow's (JSON strings of column or tensor specs)."""
    inputs = _convert_schema(raw.get("inputs"), "inputs")
    outputs = raw.get("outputs")
    return Signature(
        inputs=inputs,
        outputs=_convert_schema(outputs, "outputs") if outputs else None,
    )


def _convert_schema(text: object, where: str) -> Schema:
    try:
        specs = json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise InvalidInput(f"MLflow signature {where} are not JSON: {exc}") from None
    if not isinstance(specs, list) or not specs:
        raise InvalidInput(f"MLflow signature {where} list nothing")
    if all(isinstance(s, dict) and s.get("type") == "tensor" for s in specs):
        tensors = []
        for spec in specs:
            tensor = spec.get("tensor-spec") or {}
            tensors.append(
                TensorSpec(
                    name=spec.get("name"),
                    dtype=_numpy_dtype(tensor.get("dtype")),
                    shape=tuple(int(d) for d in tensor.get("shape", [-1])),
                )
            )
        return TensorSchema(tuple(tensors))
    columns = []
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise InvalidInput(f"MLflow signature {where} hold a malformed entry {spec!r}")
        kind = spec.get("type")
        if kind not in _COLUMN_TYPES:
            raise InvalidInput(
                f"MLflow column type {kind!r} in the signature {where} cannot be converted"
            )
        columns.append(ColumnSpec(name=str(spec.get("name", index)), dtype=_COLUMN_TYPES[kind]))
    return ColumnSchema(tuple(columns))


def _numpy_dtype(name: object) -> str:
    from shipyard.core.signature import DTYPES

    text = str(name)
    if text in DTYPES:
        return text
    if text in ("str", "object"):
        return "string" if text == "str" else "object"
    raise InvalidInput(f"MLflow tensor dtype {name!r} cannot be converted")


def _read_example(folder: Path, info: object) -> Any:
    """MLflow's saved input example as a DataFrame or array, or None."""
    if not isinstance(info, dict) or not info.get("artifact_path"):
        return None
    path = refuse_links(folder, check_relpath(info["artifact_path"], what="MLflow input example"))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the example is a convenience: the import goes on without it
    if info.get("type") == "dataframe" and isinstance(document, dict) and "columns" in document:
        import pandas as pd

        return pd.DataFrame(document.get("data", []), columns=document["columns"])
    if info.get("type") == "ndarray":
        import numpy as np

        values = document.get("inputs", document) if isinstance(document, dict) else document
        return np.asarray(values)
    return None
