"""Shipyard: one-package MLOps.

The public SDK is re-exported here; everything else is internal. Heavy parts
are imported on first use so that ``import shipyard`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shipyard._version import __version__
from shipyard.context import Context, open_context
from shipyard.core.errors import (
    AlreadyExists,
    ConfigError,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuerySyntaxError,
    SchemaOutOfDate,
    ShipyardError,
    SignatureMismatch,
    Unauthenticated,
    Unavailable,
    UntrustedModel,
    WorkspaceNotFound,
)
from shipyard.core.principal import Principal, Role
from shipyard.core.settings import Settings
from shipyard.runs import active_run, search_runs, start_run

if TYPE_CHECKING:
    from shipyard.models.model_dir.loaded import LoadedModel
    from shipyard.pipelines import pipeline, step

__all__ = [
    "AlreadyExists",
    "ConfigError",
    "Conflict",
    "Context",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "Principal",
    "QuerySyntaxError",
    "Role",
    "SchemaOutOfDate",
    "Settings",
    "ShipyardError",
    "SignatureMismatch",
    "Unauthenticated",
    "Unavailable",
    "UntrustedModel",
    "WorkspaceNotFound",
    "__version__",
    "active_run",
    "load_model",
    "open_context",
    "pipeline",
    "search_runs",
    "start_run",
    "step",
]

#: Sub-packages of the SDK reachable as ``shipyard.<name>`` without importing them up front.
_LAZY_SUBPACKAGES = frozenset(
    {"data", "monitoring", "pipelines", "profiling", "serving", "validate"}
)
#: SDK functions reachable as ``shipyard.<name>``, imported on first use: ``@shipyard.step``.
_LAZY_FUNCTIONS = {"pipeline": "shipyard.pipelines", "step": "shipyard.pipelines"}


def load_model(uri: str, *, trusted: bool = False, context: Context | None = None) -> LoadedModel:
    """Load ``models:/churn@production`` (or ``/3``, ``@latest``, or a model folder).

    The files are fetched into the local cache, checked against the registry's
    record (every digest) and the workspace's signing policy, then loaded with
    their flavor; see :func:`shipyard.models.load_model`.
    """
    from shipyard.models import load_model as _load

    return _load(uri, trusted=trusted, context=context)


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"shipyard.{name}")
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'shipyard' has no attribute {name!r}")
