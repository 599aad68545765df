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
    "open_context",
]

#: Sub-packages of the SDK reachable as ``shipyard.<name>`` without importing them up front.
_LAZY_SUBPACKAGES = frozenset({"data", "monitoring", "profiling", "validate"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"shipyard.{name}")
    raise AttributeError(f"module 'shipyard' has no attribute {name!r}")
