"""A Rich progress bar on stderr that a profiling pass can report to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from shipyard.cli.console import err_console
from shipyard.profiling.reader import Progress as ProgressCallback

__all__ = ["row_progress"]


@contextmanager
def row_progress(description: str) -> Iterator[ProgressCallback]:
    """Yield a ``progress(rows, fraction)`` callback drawing a transient bar."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(escape(description), total=1.0, rows=0)

        def update(rows: int, fraction: float | None) -> None:
            bar.update(task, completed=fraction if fraction is not None else 0.0, rows=rows)

        yield update
