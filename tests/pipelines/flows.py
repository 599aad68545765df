"""Pipelines the tests run: steps at module level, so worker processes can import them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from shipyard.pipelines import pipeline, step


@step
def numbers(n: int) -> list[int]:
    return list(range(n))


@step
def total(values: list[int], scale: float = 1.0) -> float:
    return sum(values) * scale


@step
def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n, dtype=np.float64), "y": np.arange(n) % 3})


@step
def column_mean(table: pd.DataFrame) -> float:
    return float(table["x"].mean())


@step
def array(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64).reshape(-1, 1)


@step
def journal(note: str, folder: str) -> str:
    """Leaves a mark per execution, so a test can count real runs (not cache hits)."""
    marks = Path(folder)
    marks.mkdir(parents=True, exist_ok=True)
    (marks / f"{note}-{os.getpid()}-{len(list(marks.iterdir()))}").touch()
    return note


@pipeline
def arithmetic(n: int = 10, scale: float = 1.0) -> None:
    total(numbers(n), scale)


@pipeline(schedule="*/15 * * * *")
def quarter_hourly(n: int = 3) -> None:
    numbers(n)


@pipeline
def tables(n: int = 100) -> None:
    column_mean(frame(n))
    array(n)


@pipeline
def marked(folder: str, scale: float = 1.0) -> None:
    first = journal("first", folder)
    total(numbers(3), scale, after=first)


@step(retries=2, retry_delay=7.0)
def flaky(folder: str) -> int:
    """Fails on its first two calls (counted in files), then answers."""
    marks = Path(folder)
    marks.mkdir(parents=True, exist_ok=True)
    calls = len(list(marks.iterdir()))
    (marks / str(calls)).touch()
    if calls < 2:
        raise RuntimeError(f"call {calls} fails")
    return calls


@step(timeout=2.0)
def stuck(seconds: float) -> int:
    import time

    time.sleep(seconds)
    return 1


@step
def chatty(n: int) -> int:
    """Prints, and logs a metric into its own step run."""
    import shipyard

    print(f"working on {n}")
    with shipyard.start_run() as run:
        run.log_metric("work", float(n))
    return n


@pipeline
def talking(n: int = 3) -> None:
    chatty(n)


@step
def broken(n: int) -> int:
    raise ValueError(f"no good: {n}")


@step
def opaque(n: int) -> object:
    return object()


@pipeline
def retrying(folder: str) -> None:
    total(numbers(flaky(folder)))


@pipeline
def hanging(seconds: float = 60.0) -> None:
    stuck(seconds)


@pipeline
def failing(n: int = 1) -> None:
    total(numbers(broken(n)))
    numbers(n)


@pipeline
def unstorable() -> None:
    opaque(1)


@step
def count_lines(path: str) -> int:
    return len(Path(path).read_text().splitlines())


@pipeline
def counting(path: str = "sensors.csv") -> None:
    from shipyard.pipelines import dataset

    count_lines(dataset(path))
