"""Data validation: draft a suite from data, then check data against it.

::

    from shipyard import validate

    suite = validate.infer("train.parquet")          # a Suite; suite.to_yaml() to edit
    result = validate.run("suite.yaml", "new.csv")   # ValidationResult; result.passed

Everything heavy is imported on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.extras import require

if TYPE_CHECKING:
    from shipyard.profiling.reader import Progress
    from shipyard.validate.runner import ValidationResult
    from shipyard.validate.suite import Suite

__all__ = ["infer", "load", "run"]


def infer(
    data: Any, *, name: str | None = None, progress: Progress | None = None, rows: bool = False
) -> Suite:
    """Draft a suite from a CSV/Parquet path, a pyarrow Table or a pandas DataFrame
    (``rows=True``: also require half to twice its row count)."""
    require("tables", "data validation")
    from shipyard.validate.inference import infer_suite

    return infer_suite(data, name=name, progress=progress, rows=rows)


def run(
    suite: Suite | str | Path, data: Any, *, progress: Progress | None = None
) -> ValidationResult:
    """Check data against a suite (a :class:`Suite` or a YAML file)."""
    require("tables", "data validation")
    from shipyard.validate.runner import run_suite

    return run_suite(suite, data, progress=progress)


def load(path: str | Path) -> Suite:
    """Read a suite YAML file; :class:`InvalidInput` naming the line if it is malformed."""
    from shipyard.validate.suite import load_suite

    return load_suite(path)
