"""Open Inference Protocol tensors: JSON and binary (``binary_tensor_data``) in and out.

A request input is ``{"name", "shape", "datatype", "data"}``; with the binary
extension (Triton's clients use it by default) ``data`` is absent, the input's
``parameters.binary_data_size`` gives its byte length, and the bytes follow
the JSON header, whose length is in the ``Inference-Header-Content-Length``
header. ``BYTES`` elements in binary are each a 4-byte little-endian length
and the bytes.

A tensor that contradicts itself (data that do not fill its shape, values that
are not its datatype) is a malformed request, :class:`InvalidInput` (400);
whether a well-formed tensor fits the model is the signature's business
(``SignatureMismatch``, 422). Sizes are Python integers, and a shape that
holds more values than a request can carry is refused before any array exists.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from shipyard.core.errors import InvalidInput

__all__ = ["DATATYPES", "MAX_DIMS", "Tensor", "datatype_of", "encode_output", "parse_inputs"]

MAX_DIMS = 32
"""Most dimensions a tensor may have (numpy's limit before 2.0)."""

DATATYPES: dict[str, Any] = {
    "BOOL": np.bool_,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
    "BYTES": np.object_,
}
_BY_KIND = {np.dtype(v).name: k for k, v in DATATYPES.items() if k != "BYTES"}


class Tensor:
    __slots__ = ("array", "name")

    def __init__(self, name: str, array: np.ndarray) -> None:
        self.name = name
        self.array = array


def datatype_of(array: np.ndarray) -> str:
    return _BY_KIND.get(array.dtype.name, "BYTES")


def parse_inputs(document: Any, binary: bytes, max_values: int) -> list[Tensor]:
    """The request's input tensors; :class:`InvalidInput` naming the bad one. A tensor
    may hold at most ``max_values`` values (the body limit: a value takes a byte at least)."""
    if not isinstance(document, dict):
        raise InvalidInput("the body must be a JSON object with 'inputs'")
    inputs = document.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput("'inputs' must be a non-empty list of tensors")
    tensors = []
    offset = 0
    names: set[str] = set()
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise InvalidInput(f"input {index} must be an object")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"input {index} has no name")
        if name in names:
            raise InvalidInput(f"input {name!r} is given twice")
        names.add(name)
        array, used = _tensor(name, item, binary, offset, max_values)
        offset += used
        tensors.append(Tensor(name, array))
    if offset != len(binary):
        raise InvalidInput(f"the binary part has {len(binary)} bytes; the inputs declare {offset}")
    return tensors


def _tensor(
    name: str, item: dict[str, Any], binary: bytes, offset: int, max_values: int
) -> tuple[np.ndarray, int]:
    shape = _shape(name, item.get("shape"), max_values)
    datatype = item.get("datatype")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise InvalidInput(
            f"input {name!r}: unknown datatype {datatype!r}",
            hint="one of " + ", ".join(DATATYPES),
        )
    dtype = DATATYPES[datatype]
    count = math.prod(shape)
    parameters = item.get("parameters") or {}
    size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if size is not None:
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise InvalidInput(f"input {name!r}: binary_data_size does not fit the body")
        chunk = binary[offset : offset + size]
        if datatype == "BYTES":
            flat = np.array(_unpack_bytes(name, chunk), dtype=object)
        else:
            if size != count * np.dtype(dtype).itemsize:
                raise InvalidInput(
                    f"input {name!r}: {size} bytes do not hold shape {shape} of {datatype}"
                )
            flat = np.frombuffer(chunk, dtype=dtype)
        used = size
    else:
        if "data" not in item:
            raise InvalidInput(f"input {name!r} has no 'data'")
        flat = _json_values(name, item["data"], datatype, dtype)
        used = 0
    if flat.size != count:
        raise InvalidInput(
            f"input {name!r} holds {flat.size} values; its shape {shape} needs {count}"
        )
    return flat.reshape(shape), used


def _shape(name: str, shape: Any, max_values: int) -> list[int]:
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise InvalidInput(f"input {name!r}: 'shape' must be a list of sizes", hint="e.g. [1, 30]")
    if len(shape) > MAX_DIMS:
        raise InvalidInput(
            f"input {name!r}: the shape has {len(shape)} dimensions; at most {MAX_DIMS}"
        )
    count = math.prod(shape)
    if count > max_values or any(d > max_values for d in shape):
        raise InvalidInput(
            f"input {name!r}: shape {shape} is larger than a request can carry "
            f"(at most {max_values:,} values)"
        )
    return shape


def _json_values(name: str, data: Any, datatype: str, dtype: Any) -> np.ndarray:
    if not isinstance(data, list):
        data = [data]
    try:
        with np.errstate(over="raise", invalid="raise"):  # 1e10 as FP16: not an FP16
            array = np.array(data, dtype=dtype if datatype != "BYTES" else object)
    except (ValueError, TypeError, OverflowError, FloatingPointError):
        raise InvalidInput(f"input {name!r}: the data are not all {datatype}") from None
    if datatype == "BOOL":
        raw = np.array(data, dtype=object).ravel()
        if not all(isinstance(v, bool) for v in raw):
            raise InvalidInput(f"input {name!r}: BOOL data must be true or false")
    elif datatype.startswith(("INT", "UINT")):
        raw = np.array(data, dtype=object).ravel()
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            raise InvalidInput(f"input {name!r}: {datatype} data must be whole numbers")
    elif datatype.startswith("FP") and array.dtype.kind != "f":  # pragma: no cover
        raise InvalidInput(f"input {name!r}: the data are not numbers")
    return array.ravel()


def _unpack_bytes(name: str, chunk: bytes) -> list[str | bytes]:
    values: list[str | bytes] = []
    position = 0
    while position < len(chunk):
        if position + 4 > len(chunk):
            raise InvalidInput(f"input {name!r}: truncated BYTES element")
        (length,) = struct.unpack_from("<I", chunk, position)
        position += 4
        raw = chunk[position : position + length]
        if len(raw) != length:
            raise InvalidInput(f"input {name!r}: truncated BYTES element")
        position += length
        try:
            values.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            values.append(raw)
    return values


def encode_output(name: str, value: Any, binary: bool) -> tuple[dict[str, Any], bytes]:
    """One output tensor as JSON (``data``) or as binary (returned bytes)."""
    array = np.asarray(value)
    if array.dtype.kind in "UO":
        array = array.astype(object)
    datatype = datatype_of(array)
    out: dict[str, Any] = {"name": name, "shape": list(array.shape), "datatype": datatype}
    if not binary:
        out["data"] = array.ravel().tolist() if datatype == "BYTES" else array.ravel()
        return out, b""
    if datatype == "BYTES":
        parts = []
        for element in array.ravel():
            raw = element if isinstance(element, bytes) else str(element).encode("utf-8")
            parts.append(struct.pack("<I", len(raw)) + raw)
        data = b"".join(parts)
    else:
        data = np.ascontiguousarray(array).tobytes()
    out["parameters"] = {"binary_data_size": len(data)}
    return out, data
