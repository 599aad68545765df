"""Run a suite over a file or a table: one streaming pass, failures with examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shipyard.validate.checks import ColumnChecker, Failure
from shipyard.validate.suite import Suite

if TYPE_CHECKING:
    from shipyard.profiling.reader import Progress

__all__ = ["SuiteChecker", "ValidationResult", "run_suite"]


@dataclass(frozen=True)
class ValidationResult:
    suite: str
    data: str
    rows: int
    failures: list[Failure] = field(default_factory=list)
    checked_columns: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "shipyard.validation_result",
            "version": 1,
            "suite": self.suite,
            "data": self.data,
            "rows": self.rows,
            "passed": self.passed,
            "checked_columns": self.checked_columns,
            "failures": [f.to_dict() for f in self.failures],
        }


class SuiteChecker:
    """A scan sink: applies the suite to every batch of one schema."""

    def __init__(self, suite: Suite, schema: pa.Schema) -> None:
        self.suite = suite
        self.rows = 0
        self.table_failures: list[Failure] = []
        self.checkers: list[tuple[int, ColumnChecker]] = []
        names = schema.names
        for rules in suite.columns.values():
            if rules.name in names:
                index = names.index(rules.name)
                self.checkers.append((index, ColumnChecker(rules, schema.field(index).type)))
            elif rules.required:
                failure = Failure(rules.name, "required", "column present", line=rules.line)
                self.table_failures.append(failure)
        if not suite.allow_extra_columns:
            extra = [n for n in names if n not in suite.columns]
            if extra:
                failure = Failure(
                    None, "allow_extra_columns", "no other columns", failing=len(extra)
                )
                failure.examples = [{"row": None, "value": n} for n in extra[:5]]
                self.table_failures.append(failure)

    def update(self, batch: pa.RecordBatch) -> None:
        for index, checker in self.checkers:
            checker.update(batch.column(index), self.rows)
        self.rows += batch.num_rows

    def result(self, data_label: str) -> ValidationResult:
        failures = list(self.table_failures)
        suite = self.suite
        if suite.rows_min is not None and self.rows < suite.rows_min:
            failures.insert(0, Failure(None, "rows.min", f"≥ {suite.rows_min:,} rows", self.rows))
        if suite.rows_max is not None and self.rows > suite.rows_max:
            failures.insert(0, Failure(None, "rows.max", f"≤ {suite.rows_max:,} rows", self.rows))
        for _, checker in self.checkers:
            failures.extend(checker.finish(self.rows))
        return ValidationResult(suite.name, data_label, self.rows, failures, len(self.checkers))


def run_suite(
    suite: Suite | str | Path,
    data: Any,
    *,
    progress: Progress | None = None,
) -> ValidationResult:
    """Check ``data`` (a CSV/Parquet path, pyarrow Table or pandas DataFrame) against ``suite``."""
    from shipyard.profiling.reader import BATCH_ROWS, scan
    from shipyard.validate.suite import load_suite

    if not isinstance(suite, Suite):
        suite = load_suite(suite)
    if isinstance(data, str | Path):
        path = Path(data)
        checker = scan(path, lambda schema: SuiteChecker(suite, schema), progress)
        return checker.result(path.name)
    from shipyard.profiling.profiler import as_arrow_table

    table = as_arrow_table(data)
    checker = SuiteChecker(suite, table.schema)
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        checker.update(batch)
    return checker.result("table")
