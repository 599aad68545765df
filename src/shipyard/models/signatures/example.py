"""Storing an input example as JSON (never pickle), and reading it back.

The example travels with the model (``input_example.json``) so that later
checks, such as the ONNX fast path's agreement test, run on real rows. Only the
first ``max_rows`` rows are kept. Floats round-trip exactly (JSON holds their
shortest repr); dtypes are restored from the stored names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.models.signatures.infer import is_dataframe, type_name

__all__ = ["EXAMPLE_FILE", "decode_example", "encode_example", "read_example", "write_example"]

EXAMPLE_FILE = "input_example.json"
EXAMPLE_FORMAT = "shipyard.example"


def encode_example(data: object, max_rows: int = 100) -> dict[str, Any]:
    """A JSON-ready, type-tagged copy of the first ``max_rows`` rows of ``data``."""
    if is_dataframe(data):
        frame: Any = data.head(max_rows)  # type: ignore[attr-defined]
        columns = []
        for name in frame.columns:
            series = frame[name]
            dtype = str(series.dtype)
            if dtype.startswith("datetime64"):
                values = [None if v != v else v.isoformat() for v in series.tolist()]
            else:
                values = [_json_value(v) for v in series.tolist()]
            columns.append({"name": str(name), "dtype": dtype, "values": values})
        return {"format": EXAMPLE_FORMAT, "type": "columns", "columns": columns}
    if isinstance(data, Mapping):
        return {
            "format": EXAMPLE_FORMAT,
            "type": "tensors",
            "tensors": [
                {"name": str(name), **_encode_array(value, max_rows)}
                for name, value in data.items()
            ],
        }
    return {"format": EXAMPLE_FORMAT, "type": "tensor", **_encode_array(data, max_rows)}


def _encode_array(value: object, max_rows: int) -> dict[str, Any]:
    import numpy as np

    if type(value).__module__.startswith("torch"):
        value = value.detach().cpu().numpy()  # type: ignore[attr-defined]
    if hasattr(value, "to_numpy"):  # pandas Series
        value = value.to_numpy()
    try:
        array = np.asarray(value)[:max_rows]
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"cannot store a {type_name(value)} as an input example: {exc}"
        ) from None
    if array.dtype.kind in "Mm":
        raise InvalidInput("datetime arrays are stored only as DataFrame columns")
    if array.dtype.kind == "O":
        if not all(isinstance(v, str) for v in array.ravel().tolist()):
            raise InvalidInput("an input example array of mixed Python objects cannot be stored")
        array = array.astype(str)
    return {
        "dtype": array.dtype.str if array.dtype.kind in "US" else array.dtype.name,
        "shape": list(array.shape),
        "values": [_json_value(v) for v in array.ravel().tolist()],
    }


def _json_value(value: object) -> object:
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf", "-inf": JSON has no literal for them
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _float_values(values: list[Any]) -> list[Any]:
    return [float(v) if isinstance(v, str) else v for v in values]


def decode_example(data: Mapping[str, Any]) -> object:
    """The example as numpy arrays or a DataFrame; :class:`IntegrityError` if malformed."""
    try:
        kind = data["type"]
        if data.get("format") != EXAMPLE_FORMAT:
            raise ValueError("no format tag")
        if kind == "columns":
            import pandas as pd

            columns = {}
            for column in data["columns"]:
                dtype = column["dtype"]
                values = column["values"]
                if dtype.startswith("float"):
                    values = _float_values(values)
                if dtype.startswith("datetime64"):
                    columns[column["name"]] = pd.Series(pd.to_datetime(values)).astype(dtype)
                else:
                    columns[column["name"]] = pd.Series(values).astype(dtype)
            return pd.DataFrame(columns)
        if kind == "tensors":
            return {t["name"]: _decode_array(t) for t in data["tensors"]}
        if kind == "tensor":
            return _decode_array(data)
        raise ValueError(f"unknown example type {kind!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityError(f"the stored input example is malformed: {exc}") from None


def _decode_array(data: Mapping[str, Any]) -> object:
    import numpy as np

    dtype = np.dtype(data["dtype"])
    values = data["values"]
    if dtype.kind in "fc":
        values = _float_values(values)
    if dtype.kind == "O":
        raise ValueError("object arrays are not stored")
    if dtype.kind == "S":
        values = [v.encode("latin-1") for v in values]
    return np.array(values, dtype=dtype).reshape(data["shape"])


def write_example(directory: Path, data: object, max_rows: int = 100) -> str:
    """Write the example into ``directory``; returns its file name."""
    document = encode_example(data, max_rows)
    (directory / EXAMPLE_FILE).write_text(json.dumps(document), encoding="utf-8")
    return EXAMPLE_FILE


def read_example(path: Path) -> object:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"cannot read the input example {path.name}: {exc}") from None
    if not isinstance(document, Mapping):
        raise IntegrityError(f"the input example {path.name} is not a JSON object")
    return decode_example(document)
