"""Model serving: ``shipyard serve`` (see docs/serving.md), and its Python API.

    from shipyard.serving import ServeOptions, create_serving_app
    app = create_serving_app(ServeOptions(models=("churn=./churn-model",)))  # an ASGI app

Everything is imported on first use, so importing this package costs nothing:
``create_serving_app``, ``ServeOptions``, ``BatchOptions``, ``SplitTraffic``,
``ModelSource``, ``ResolvedModel``, ``open_source``, ``register_source_scheme``
(the seam other packages add sources through), ``read_log`` and
``find_batches`` (the inference log, for monitoring), and ``lambda_handler``
(the AWS Lambda entry point).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BatchOptions",
    "ModelSource",
    "ResolvedModel",
    "ServeOptions",
    "SplitTraffic",
    "create_serving_app",
    "find_batches",
    "lambda_handler",
    "open_source",
    "read_log",
    "register_source_scheme",
]

_WHERE = {
    "BatchOptions": "shipyard.serving.options",
    "ServeOptions": "shipyard.serving.options",
    "SplitTraffic": "shipyard.serving.options",
    "ModelSource": "shipyard.models.source",
    "ResolvedModel": "shipyard.models.source",
    "open_source": "shipyard.models.source",
    "register_source_scheme": "shipyard.models.source",
    "create_serving_app": "shipyard.serving.app",
    "find_batches": "shipyard.serving.log_store",
    "read_log": "shipyard.serving.log_store",
    "lambda_handler": "shipyard.serving.aws_lambda",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
