"""How numeric arrays travel inside profile JSON: base64 of little-endian bytes.

A profile must stay small and must round-trip bit for bit (a reference whose
values changed in the last decimal would give statistics that differ from
scipy's), so arrays are stored as raw bytes rather than decimal text. Small
integer arrays (HyperLogLog registers) are zlib-compressed first.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from shipyard.core.errors import InvalidInput

__all__ = ["decode_array", "encode_array", "expect"]

_DTYPES: dict[str, np.dtype[Any]] = {
    "f8": np.dtype("<f8"),
    "u1": np.dtype("u1"),
    "i8": np.dtype("<i8"),
}


def encode_array(values: npt.NDArray[Any], *, compress: bool = False) -> dict[str, Any]:
    """``{"dtype", "data"[, "codec"]}`` for a 1-D float64, int64 or uint8 array."""
    name = next((n for n, dtype in _DTYPES.items() if values.dtype == dtype), None)
    if name is None:  # pragma: no cover - a programming error, not user input
        raise TypeError(f"cannot encode arrays of {values.dtype}")
    raw = np.ascontiguousarray(values).astype(_DTYPES[name], copy=False).tobytes()
    out: dict[str, Any] = {"dtype": name}
    if compress:
        raw = zlib.compress(raw, 6)
        out["codec"] = "zlib"
    out["data"] = base64.b64encode(raw).decode("ascii")
    return out


def decode_array(data: Any, dtype: str, *, what: str) -> npt.NDArray[Any]:
    """The array stored by :func:`encode_array`; :class:`InvalidInput` naming ``what`` if bad."""
    if (
        not isinstance(data, dict)
        or data.get("dtype") != dtype
        or not isinstance(data.get("data"), str)
    ):
        raise InvalidInput(f"malformed profile: {what} is not an encoded {dtype} array")
    try:
        raw = base64.b64decode(data["data"], validate=True)
        if data.get("codec") == "zlib":
            raw = zlib.decompress(raw)
        elif data.get("codec") is not None:
            raise ValueError(f"unknown codec {data['codec']!r}")
        decoded: npt.NDArray[Any] = np.frombuffer(raw, dtype=_DTYPES[dtype]).copy()
        return decoded
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise InvalidInput(f"malformed profile: {what} cannot be decoded ({exc})") from exc


def expect(data: Any, key: str, kind: type | tuple[type, ...], *, what: str) -> Any:
    """``data[key]`` if it is of ``kind``, else :class:`InvalidInput` naming the field."""
    if not isinstance(data, dict) or key not in data:
        raise InvalidInput(f"malformed profile: {what} has no {key!r}")
    value = data[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InvalidInput(f"malformed profile: {what}.{key} has the wrong type")
    if not isinstance(value, kind):
        raise InvalidInput(f"malformed profile: {what}.{key} has the wrong type")
    return value
