"""Optional dependencies: which extra installs which package, and the error when one is missing.

``pip install shipyard`` gives the CLI, tracking, data versioning, the object
store, the registry and the team-server client. Scientific and serving
libraries come with an extra named for what it enables (``pip install
'shipyard[models]'``); ``[all]`` installs every one of Shipyard's own.

A feature that needs an extra calls :func:`require` before importing it, so a
missing library is one line naming the extra (:class:`MissingExtra`) rather
than a traceback. The CLI also turns any ``ModuleNotFoundError`` of a package
listed here into that line (:func:`missing_extra_for`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, Literal

from shipyard.core.errors import ShipyardError

__all__ = ["EXTRAS", "Extra", "MissingExtra", "missing_extra_for", "require"]

Extra = Literal[
    "tables", "models", "monitor", "serve", "server", "s3", "ray", "xgboost", "lightgbm", "torch"
]

EXTRAS: Mapping[Extra, tuple[str, ...]] = {
    # Profiles of CSV/Parquet data, validation, read_table, metric histories, search_runs.
    "tables": ("numpy", "pandas", "pyarrow"),
    # Saving, loading, signing and scoring models; signatures; the ONNX fast path.
    "models": (
        "numpy", "pandas", "pyarrow", "sklearn", "skops", "skl2onnx", "onnx", "onnxruntime",
        "safetensors", "model_signing", "threadpoolctl",
    ),
    # Drift, profiles of served traffic, live monitors and their schedule.
    "monitor": ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "croniter"),
    # `shipyard serve` (with the [models] extra for the model's flavor).
    "serve": ("fastapi", "uvicorn", "orjson", "prometheus_client", "numpy", "pandas", "pyarrow"),
    # The team server (`shipyard server`, with [models] and [monitor]); its client is in the base.
    "server": ("fastapi", "uvicorn", "prometheus_client", "jwt", "numpy", "pyarrow", "scipy",
               "sklearn"),
    "s3": ("boto3",),
    "ray": ("ray",),  # pipeline steps as Ray tasks
    "xgboost": ("xgboost",),
    "lightgbm": ("lightgbm",),
    "torch": ("torch",),
}  # fmt: skip
"""Each extra and the top-level modules it installs (what :func:`require` checks)."""

# A module missing at run time is named by the smallest extra that installs it.
_FRAMEWORKS: tuple[Extra, ...] = ("s3", "ray", "xgboost", "lightgbm", "torch")
_EXTRA_OF: Mapping[str, Extra] = {
    module: extra
    for extra in ("server", "serve", "monitor", "models", "tables", *_FRAMEWORKS)
    for module in EXTRAS[extra]
} | {"starlette": "server", "pydantic": "server", "mangum": "serve", "OpenSSL": "models"}


class MissingExtra(ShipyardError, ImportError):
    """A feature needs a library that the base install leaves out.

    Also an :class:`ImportError`, so code that guards an optional import with
    ``except ImportError`` treats it as the missing library it is.
    """

    def __init__(self, extra: Extra, module: str, *, feature: str | None = None) -> None:
        what = f"{feature}: " if feature else ""
        super().__init__(
            f"{what}{module} is not installed", hint=f"pip install 'shipyard[{extra}]'"
        )
        self.extra = extra
        self.module = module
        self.name = module  # ImportError's field: the module that could not be imported

    def __str__(self) -> str:
        return self.one_line()  # a traceback's last line names the extra too

    def fields(self) -> dict[str, Any]:
        return {"extra": self.extra, "module": self.module}


def require(extra: Extra, feature: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` unless ``modules`` (default: all of ``extra``'s) import.

    Only looks the modules up (nothing is imported), so it costs microseconds.
    """
    for module in modules or EXTRAS[extra]:
        if not _installed(module):
            raise MissingExtra(extra, module, feature=feature)


def missing_extra_for(error: BaseException) -> MissingExtra | None:
    """The :class:`MissingExtra` that a ``ModuleNotFoundError`` means, if its module is ours."""
    if isinstance(error, MissingExtra) or not isinstance(error, ModuleNotFoundError):
        return None
    top = (error.name or "").partition(".")[0]
    extra = _EXTRA_OF.get(top)
    return MissingExtra(extra, top) if extra is not None else None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or half-removed package
        return False
