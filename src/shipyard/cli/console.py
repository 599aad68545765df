"""The two Rich consoles every command prints to, and small shared renderers.

Every string printed (and every table cell) is read as Rich markup, so a name like
``[bold]x`` or a key like ``[gates.production]`` would vanish: user data and literal
brackets go through :func:`rich.markup.escape` (or a :class:`rich.text.Text`);
:func:`success` and :func:`warn` escape their whole message. Progress bar
descriptions are printed without markup.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement

__all__ = [
    "console",
    "err_console",
    "human_bytes",
    "print_json",
    "print_wide",
    "success",
    "warn",
]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def success(message: str) -> None:
    console.print(f"[green]✓[/] {escape(message)}")


def warn(message: str) -> None:
    err_console.print(f"[yellow]![/] {escape(message)}")


def print_json(data: Any) -> None:
    """Plain JSON on stdout, for scripts (no colour, no wrapping)."""
    console.file.write(json.dumps(data, indent=2, default=str) + "\n")


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def print_wide(renderable: RenderableType) -> None:
    """Tables read across: off a terminal (pipes, CI logs), never squeeze them into 80 columns."""
    if console.is_terminal:
        console.print(renderable)
        return
    width = Measurement.get(console, console.options.update_width(400), renderable).maximum
    saved = console.width
    console.width = max(saved, width)
    try:
        console.print(renderable)
    finally:
        console.width = saved
