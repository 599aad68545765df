"""Live-monitoring fixtures: a workspace whose inference log is written through the log store.

``LogWriter`` writes prediction and feedback batches with
``shipyard.serving.log_store.write_batch`` (the serving layer's own writer),
at chosen times, so a test controls the window exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shipyard.context import Context, open_context
from shipyard.serving.log_store import write_batch
from tests.serving.conftest import data, models, serve  # noqa: F401  (serving fixtures)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    context = open_context(workspace)
    yield context
    context.close()


@dataclass
class LogWriter:
    ctx: Context
    model: str = "churn"
    written: int = 0

    def predictions(
        self,
        inputs: dict[str, list[Any]],
        *,
        at: datetime,
        predictions: list[Any] | None = None,
        outputs: dict[str, list[Any]] | None = None,
        version: str = "v1",
        variant: str = "primary",
        prefix: str | None = None,
    ) -> list[str]:
        """One batch, one request per row (ids returned), a second apart from ``at``."""
        n = len(next(iter(inputs.values())))
        prefix = prefix or f"b{self.written}"
        ids = [f"{prefix}-{i}" for i in range(n)]
        columns: dict[str, list[Any]] = {
            "_request_id": ids,
            "_row": [0] * n,
            "_time": [at + timedelta(seconds=i) for i in range(n)],
            "_version": [version] * n,
            "_variant": [variant] * n,
            **inputs,
        }
        if predictions is not None:
            columns["_prediction"] = predictions
        for name, values in (outputs or {}).items():
            columns[f"_prediction.{name}"] = values
        write_batch(
            self.ctx, model=self.model, version=version, kind="predictions", columns=columns
        )
        self.written += 1
        return ids

    def feedback(
        self, ids: list[str], labels: list[Any], *, at: datetime, rows: list[int] | None = None
    ) -> None:
        write_batch(
            self.ctx,
            model=self.model,
            version="-",
            kind="feedback",
            columns={
                "_request_id": ids,
                "_row": rows if rows is not None else [-1] * len(ids),
                "_time": [at] * len(ids),
                "label": labels,
            },
        )


@pytest.fixture
def log(ctx: Context) -> LogWriter:
    return LogWriter(ctx)


def frame(n: int, *, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Two numeric features and one categorical; ``shift`` moves them all."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + 15 * shift, 10, n).round(1),
            "income": rng.lognormal(10 + shift, 0.5, n).round(2),
            "plan": rng.choice(
                ["basic", "pro", "team"], n, p=[0.6 - 0.4 * shift, 0.3, 0.1 + 0.4 * shift]
            ),
        }
    )


def columns_of(table: pd.DataFrame) -> dict[str, list[Any]]:
    return {name: table[name].tolist() for name in table.columns}


@pytest.fixture
def reference(workspace: Path) -> Path:
    """A saved reference: 5,000 unshifted rows with the training label ``churned``."""
    train = frame(5000, seed=1)
    train["churned"] = np.random.default_rng(2).integers(0, 2, len(train))
    path = workspace / "train.parquet"
    train.to_parquet(path)
    return path
