"""Durations written by people: ``90s``, ``15m``, ``24h``, ``7d``, ``2w``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

from shipyard.core.errors import InvalidInput

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m``-style text (a bare number means seconds); raises :class:`InvalidInput`."""
    value = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return timedelta(seconds=float(value))
    pos = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise InvalidInput(
            f"cannot read the duration {text!r}", hint="write e.g. 30s, 15m, 24h, 7d or 1h30m"
        )
    return timedelta(seconds=total)


def format_duration(delta: timedelta) -> str:
    """The shortest exact ``1d2h``-style text for a whole number of seconds."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _SECONDS.items():
        if unit == "w":
            continue
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
