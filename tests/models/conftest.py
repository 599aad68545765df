"""Data and fitted models shared by the model-format and registry tests (fitted once)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def cancer_frame() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def cancer_arrays(cancer_frame: tuple[pd.DataFrame, pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    X, y = cancer_frame
    return X.to_numpy(), y.to_numpy()


@pytest.fixture(scope="session")
def frame_pipeline(cancer_frame: tuple[pd.DataFrame, pd.Series]) -> Pipeline:
    X, y = cancer_frame
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)


@pytest.fixture(scope="session")
def array_model(cancer_arrays: tuple[np.ndarray, np.ndarray]) -> Any:
    X, y = cancer_arrays
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
