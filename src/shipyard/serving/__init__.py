"""Model serving: ``shipyard serve`` (see docs/serving.md).

``shipyard.serving.lambda_handler`` is the AWS Lambda entry point (imported on
first use, so importing this package costs nothing).
"""

from __future__ import annotations

from typing import Any

__all__ = ["lambda_handler"]


def __getattr__(name: str) -> Any:
    if name == "lambda_handler":
        from shipyard.serving.aws_lambda import lambda_handler

        return lambda_handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
