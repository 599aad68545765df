"""A validation suite applied to a window of live traffic, batch by batch.

The suite's column rules run exactly as ``shipyard validate run`` runs them
on a file (:mod:`shipyard.validate.runner`). Stored batches of the log may
differ in schema (another model version, an all-null column), so one checker
is kept per distinct schema and their failures are added up; example row
numbers count rows of the window, oldest first. The suite's ``rows`` bounds
describe files, not windows of traffic, and are not applied here (a live
monitor has ``thresholds.min_rows`` instead).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from shipyard.validate.checks import EXAMPLES, Failure
from shipyard.validate.runner import SuiteChecker
from shipyard.validate.suite import Suite

__all__ = ["LiveValidator"]


class LiveValidator:
    def __init__(self, suite: Suite, label: str) -> None:
        self.suite = suite
        self.label = label
        self.rows = 0
        self._checkers: dict[pa.Schema, tuple[SuiteChecker, list[int]]] = {}

    def update(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        entry = self._checkers.get(table.schema)
        if entry is None:
            entry = self._checkers[table.schema] = (SuiteChecker(self.suite, table.schema), [0])
        checker, own_rows = entry
        for batch in table.to_batches():
            checker.rows = self.rows  # example rows count the window's rows
            checker.update(batch)
            self.rows += batch.num_rows
            own_rows[0] += batch.num_rows

    def result(self) -> dict[str, Any]:
        merged: dict[tuple[str | None, str], Failure] = {}
        checked: set[str] = set()
        for checker, own_rows in self._checkers.values():
            failures = list(checker.table_failures)
            for _, column in checker.checkers:
                checked.add(column.rules.name)
                failures.extend(column.finish(own_rows[0]))
            for failure in failures:
                key = (failure.column, failure.rule)
                known = merged.get(key)
                if known is None:
                    merged[key] = failure
                    continue
                if failure.rule == "allow_extra_columns":
                    seen = {e["value"] for e in known.examples}
                    extra = [e for e in failure.examples if e["value"] not in seen]
                    known.examples.extend(extra[: max(0, EXAMPLES - len(known.examples))])
                    known.failing += len(extra)
                elif failure.rule != "required":
                    known.failing += failure.failing
                    room = max(0, EXAMPLES - len(known.examples))
                    known.examples.extend(failure.examples[:room])
        failures = sorted(merged.values(), key=lambda f: (f.line, f.column or "", f.rule))
        return {
            "type": "shipyard.validation_result",
            "version": 1,
            "suite": self.suite.name,
            "data": self.label,
            "rows": self.rows,
            "passed": not failures,
            "checked_columns": len(checked),
            "failures": [f.to_dict() for f in failures],
        }
