"""Rich progress bars for long operations (the CLI side of ``objects.progress.Progress``).

Bars go to stderr and only when it is a terminal, so ``--json`` output and
scripts see nothing but the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shipyard.cli.console import err_console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["RichProgress", "progress_bars"]


class RichProgress:
    """One bar per phase; the previous phase's bar is completed when the next begins."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            if task.total is not None:
                self._progress.update(self._task, completed=task.total)
            self._progress.stop_task(self._task)
        self._task = self._progress.add_task(description, total=total, unit=unit)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


class _Quiet:
    def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[RichProgress | _Quiet]:
    """A :class:`Progress` sink showing Rich bars on stderr (quiet when not a terminal)."""
    if not enabled or not err_console.is_terminal:
        yield _Quiet()
        return
    # Imported here: most runs in scripts and CI show no bars, and Rich's
    # progress modules took ~20 ms of every such command's start-up.
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bars = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),  # file names are data, not markup
        BarColumn(),
        _amount_column(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with bars:
        yield RichProgress(bars)


def _amount_column() -> Any:
    """Bytes as sizes, objects as ``n/m``."""
    from rich.progress import DownloadColumn, MofNCompleteColumn

    class Amount(DownloadColumn):
        def __init__(self) -> None:
            super().__init__(binary_units=True)
            self._count = MofNCompleteColumn()

        def render(self, task):  # type: ignore[no-untyped-def]
            if task.fields.get("unit") == "objects":
                return self._count.render(task)
            return super().render(task)

    return Amount()
