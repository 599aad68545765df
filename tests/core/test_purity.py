"""The core stays pure: no database, web, cloud or ML library behind it."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "httpx",
    "boto3",
    "botocore",
    "numpy",
    "pandas",
    "pyarrow",
    "sklearn",
    "torch",
    "onnxruntime",
    "typer",
)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return {name.split(".")[0] for name in json.loads(out.stdout)}


def _core_modules() -> list[str]:
    import shipyard.core

    found = pkgutil.walk_packages(shipyard.core.__path__, prefix="shipyard.core.")
    return sorted(module.name for module in found)


def test_core_imports_no_io_framework_or_ml_library() -> None:
    modules = _core_modules()
    assert len(modules) >= 16  # every module of core/, found rather than listed
    loaded = _modules_after("import " + ", ".join(modules))
    assert not loaded & set(FORBIDDEN)


def test_importing_shipyard_stays_light() -> None:
    """``import shipyard`` must not pay for the database layer until it is used."""
    loaded = _modules_after("import shipyard")
    assert not loaded & {"sqlalchemy", "alembic", "psycopg", "numpy", "pandas"}


def test_the_model_sdk_imports_no_framework_until_used() -> None:
    loaded = _modules_after("import shipyard.models, shipyard.models.flavors")
    assert not loaded & {
        "numpy", "pandas", "sklearn", "skops", "onnx", "onnxruntime", "skl2onnx",
        "torch", "xgboost", "lightgbm", "safetensors", "model_signing", "blake3", "yaml",
    }  # fmt: skip
