"""Pipelines: steps with a content-addressed cache, retries and timeouts, run and tracked.

    from shipyard import pipeline, step

    @step
    def load(path: str) -> pd.DataFrame: ...

    @step(retries=2, timeout="10m")
    def train(frame: pd.DataFrame, C: float) -> LogisticRegression: ...

    @pipeline
    def churn(path: str = "data/churn.csv", C: float = 1.0) -> None:
        train(load(path), C)

    result = churn(C=0.5)        # each step in a worker process; unchanged steps come from cache

Names are imported on first use, so ``shipyard --help`` and the schema's import of
:mod:`shipyard.pipelines.tables` pay nothing for the runner. See docs/pipelines.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.pipelines.definition import Output, Pipeline, Step, dataset, pipeline, step
    from shipyard.pipelines.runner import PipelineResult, StepResult, run_pipeline

__all__ = [
    "Output",
    "Pipeline",
    "PipelineResult",
    "Step",
    "StepResult",
    "dataset",
    "pipeline",
    "run_pipeline",
    "step",
]

_HOME = {
    "Output": "definition",
    "Pipeline": "definition",
    "Step": "definition",
    "dataset": "definition",
    "pipeline": "definition",
    "step": "definition",
    "PipelineResult": "runner",
    "StepResult": "runner",
    "run_pipeline": "runner",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"shipyard.pipelines.{_HOME[name]}"), name)
    raise AttributeError(f"module 'shipyard.pipelines' has no attribute {name!r}")
