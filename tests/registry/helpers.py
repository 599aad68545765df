"""Importable model classes for the tests (a loader must be able to import them again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from shipyard.models import PythonModel


class ThresholdModel(PythonModel):
    """Predicts 1 where the weighted sum of a row passes a threshold."""

    def __init__(self, threshold: float, weights: list[float] | None = None) -> None:
        self.threshold = threshold
        self.weights = np.asarray(weights if weights is not None else [], dtype=float)
        self.vocabulary: dict[str, int] = {}

    def predict(self, data: Any) -> Any:
        scores = np.asarray(data, dtype=float) @ self.weights
        return (scores > self.threshold).astype(np.int64)

    def get_config(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "weights": self.weights.tolist()}

    def save_files(self, directory: Path) -> None:
        (directory / "vocabulary.json").write_text(json.dumps(self.vocabulary))

    def load_files(self, directory: Path) -> None:
        self.vocabulary = json.loads((directory / "vocabulary.json").read_text())


class Doubler(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """A custom transformer: a type outside skops' safe list."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, X: Any) -> Any:
        return np.asarray(X) * 2.0


def make_net(hidden: int) -> Any:
    import torch

    class _Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()

    return _Net()
