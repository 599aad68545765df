"""Step values in the object store, stored by type, never pickled.

| kind | values | stored as |
| --- | --- | --- |
| ``json`` | None, bools, numbers, strings, lists, dicts with string keys | canonical JSON |
| ``numpy`` | numpy arrays of a non-object dtype | ``.npy`` (``allow_pickle=False``) |
| ``pandas`` | pandas DataFrames | Parquet |
| ``arrow`` | pyarrow Tables | Parquet |
| ``model`` | a model of a safe flavor (scikit-learn, ONNX, …) | its files, and a JSON index |

Anything else is refused at the step that returned it, naming the type.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.core.relpath import check_relpaths

if TYPE_CHECKING:
    from shipyard.objects.api import ProjectObjects

__all__ = ["StoredValue", "load_value", "store_value"]

KINDS = ("json", "numpy", "pandas", "arrow", "model")


@dataclass(frozen=True)
class StoredValue:
    """Where a step's value is: its kind, the digest of its stored form, and its size."""

    kind: str
    digest: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "digest": self.digest, "size": self.size}

    @classmethod
    def from_dict(cls, data: object) -> StoredValue:
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise InvalidInput(f"not a stored step value: {str(data)[:80]!r}")
        size = data.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidInput(f"not a stored step value: bad size {size!r}")
        return cls(str(data["kind"]), Digest.parse(str(data.get("digest"))).hex, size)


def store_value(objects: ProjectObjects, value: object, what: str) -> StoredValue:
    """Store ``value`` (what a step returned; ``what`` names the step for errors)."""
    kind, data = _encode(value, what)
    if kind == "model":
        return _store_model(objects, value, what)
    ref = objects.put_bytes(data)
    return StoredValue(kind, ref.digest.hex, ref.size)


def load_value(objects: ProjectObjects, stored: StoredValue, scratch: Path) -> object:
    """The value back, read and verified from the store (models into ``scratch``)."""
    if stored.kind == "model":
        return _load_model(objects, stored, scratch)
    data = objects.read_bytes(Digest(stored.digest))
    if stored.kind == "json":
        return json.loads(data)
    if stored.kind == "numpy":
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return table.to_pandas() if stored.kind == "pandas" else table


def _encode(value: object, what: str) -> tuple[str, bytes]:
    module = type(value).__module__.partition(".")[0]
    if _is_json(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return "json", text.encode()
    if module == "numpy" and type(value).__name__ == "ndarray":
        return "numpy", _npy(value, what)
    if module == "pandas" and type(value).__name__ == "DataFrame":
        return "pandas", _parquet(value, what, pandas=True)
    if module == "pyarrow" and type(value).__name__ == "Table":
        return "arrow", _parquet(value, what, pandas=False)
    if _is_model(value):
        return "model", b""
    raise InvalidInput(
        f"{what} returned a {type(value).__module__}.{type(value).__qualname__}, "
        "which cannot be stored between steps",
        hint="return a pandas DataFrame, a pyarrow Table, a numpy array, JSON-able values, "
        "or a model of a supported flavor (see `shipyard models flavors`); never a pickle",
    )


def _is_json(value: object, depth: int = 0) -> bool:
    if depth > 64:
        return False
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


def _npy(value: Any, what: str) -> bytes:
    if value.dtype.hasobject:
        raise InvalidInput(
            f"{what} returned a numpy array of Python objects, which cannot be stored safely",
            hint="convert it to a numeric or string dtype, or return a DataFrame",
        )
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, value, allow_pickle=False)
    return buffer.getvalue()


def _parquet(value: Any, what: str, *, pandas: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pandas(value) if pandas else value
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise InvalidInput(f"{what} returned a table Parquet cannot hold: {error}") from None
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _is_model(value: object) -> bool:
    from shipyard.models.flavors.registry import detect_flavor

    try:
        detect_flavor(value)
    except InvalidInput:
        return False
    return True


def _store_model(objects: ProjectObjects, value: object, what: str) -> StoredValue:
    from shipyard.models import save_model

    with tempfile.TemporaryDirectory(prefix="shipyard-step-") as scratch:
        folder = Path(scratch) / "model"
        save_model(value, folder)
        index = {
            path.relative_to(folder).as_posix(): objects.put_file(path).digest.hex
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
    ref = objects.put_bytes(json.dumps({"files": index}, sort_keys=True).encode())
    return StoredValue("model", ref.digest.hex, ref.size)


def _load_model(objects: ProjectObjects, stored: StoredValue, scratch: Path) -> object:
    from shipyard.models import load_model

    index = json.loads(objects.read_bytes(Digest(stored.digest)))
    files = index.get("files") if isinstance(index, dict) else None
    if not isinstance(files, dict) or not files:
        raise InvalidInput(f"stored model {stored.digest[:12]} has no file index")
    check_relpaths(files, what="file of a stored model")
    folder = scratch / f"model-{stored.digest[:16]}"
    if not folder.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".model-", dir=scratch))
        for name, digest in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            objects.get_file(Digest.parse(str(digest)), target)
        try:
            staging.rename(folder)
        except OSError:  # another worker put the same model there first
            shutil.rmtree(staging, ignore_errors=True)
    return load_model(folder)  # verifies every file against the manifest
