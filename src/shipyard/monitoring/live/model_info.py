"""What a live monitor can learn about a model from elsewhere: the registry seam.

A monitor needs a reference (the training data's profile) and the metrics
recorded at training. Today they come from the monitor's configuration or
the command line (``--reference``, ``--baseline-metrics``). The model
registry plugs in here so that ``shipyard monitor run churn@production``
finds both from the version's lineage: register a provider with
:func:`register_model_info`, from a module listed in ``MODEL_INFO_MODULES``::

    def registry_info(model: str, ctx: Context) -> ModelInfo | None:
        version = resolve("churn@production")          # None if not a registry model
        return ModelInfo(served_name="churn", version=version.number,
                         reference="data/train.parquet@" + version.dataset_rev,
                         baseline=version.run_metrics)

    register_model_info(registry_info)

Explicit settings win over what a provider says.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["MODEL_INFO_MODULES", "ModelInfo", "model_info", "register_model_info"]

#: Modules that register providers when imported (the registry adds its own).
MODEL_INFO_MODULES: list[str] = []


@dataclass(frozen=True)
class ModelInfo:
    served_name: str
    """The name the inference log records (the served name)."""
    version: str | None = None
    reference: str | None = None
    """A reference spec any drift resolver understands (``data/train.parquet@v3``)."""
    baseline: Mapping[str, float] = field(default_factory=dict)
    """Metrics recorded at training (accuracy, f1, roc_auc, mae, rmse …)."""


ModelInfoProvider = Callable[[str, "Context"], "ModelInfo | None"]
_providers: list[ModelInfoProvider] = []


def register_model_info(provider: ModelInfoProvider) -> None:
    """Add a provider; it returns None for model specs it does not know."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_model_info(provider: ModelInfoProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def model_info(model: str, ctx: Context) -> ModelInfo:
    """What the providers know about ``model`` (``churn`` or ``churn@production``)."""
    for module in MODEL_INFO_MODULES:
        importlib.import_module(module)
    for provider in list(_providers):
        found = provider(model, ctx)
        if found is not None:
            return found
    return ModelInfo(served_name=model.partition("@")[0])
