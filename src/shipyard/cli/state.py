"""What the global options say, and the context built from them on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.context import Context, open_context

__all__ = ["CliState"]


@dataclass
class CliState:
    """Global options of one invocation; ``context()`` opens stores lazily."""

    cwd: Path | None = None
    flags: dict[str, Any] = field(default_factory=dict)
    debug: bool = False
    _context: Context | None = None

    def context(self) -> Context:
        if self._context is None:
            self._context = open_context(self.cwd, flags=self.flags)
        return self._context

    @property
    def start_dir(self) -> Path:
        return (self.cwd or Path.cwd()).resolve()

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None
