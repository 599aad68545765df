"""Monitoring: data drift between a reference and current data.

::

    from shipyard.monitoring import drift, DriftOptions

    report = drift("train.parquet", "last_week.csv", DriftOptions(prediction="score"))
    report.dataset_drift, report.drifted_features, report.to_dict()

The reference may be a saved profile (JSON) or any source a registered
resolver understands (see ``shipyard.monitoring.sources``). Names are imported
on first use, so importing the CLI's command modules stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shipyard.core.extras import require

if TYPE_CHECKING:
    from shipyard.monitoring.options import DriftOptions
    from shipyard.monitoring.report import DriftReport, FeatureDrift, Finding, MultivariateResult
    from shipyard.monitoring.service import compare_profiles, drift
    from shipyard.monitoring.sources import ResolvedData, register_resolver

__all__ = [
    "DriftOptions",
    "DriftReport",
    "FeatureDrift",
    "Finding",
    "MultivariateResult",
    "ResolvedData",
    "compare_profiles",
    "drift",
    "register_resolver",
]

_HOMES = {
    "DriftOptions": "options",
    "DriftReport": "report",
    "FeatureDrift": "report",
    "Finding": "report",
    "MultivariateResult": "report",
    "ResolvedData": "sources",
    "compare_profiles": "service",
    "drift": "service",
    "register_resolver": "sources",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'shipyard.monitoring' has no attribute {name!r}")
    require("monitor", "shipyard.monitoring")
    return getattr(importlib.import_module(f"shipyard.monitoring.{home}"), name)
