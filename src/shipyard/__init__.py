"""Shipyard: one-package MLOps.

The public SDK is re-exported here; everything else is internal. Heavy parts
are imported on first use so that ``import shipyard`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "open_context",
    "search_runs",
    "start_run",
]

#: Sub-packages of the SDK reachable as ``shipyard.<name>`` without importing them up front.
_LAZY_SUBPACKAGES = frozenset({"monitoring", "profiling", "serving", "validate"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"shipyard.{name}")
    raise AttributeError(f"module 'shipyard' has no attribute {name!r}")
