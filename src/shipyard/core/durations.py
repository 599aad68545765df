"""Durations and points in time written by people: ``90s``, ``24h``, ``1h30m``, ISO dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from shipyard.core.errors import InvalidInput

__all__ = ["format_duration", "parse_duration", "parse_since"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_CENTURY = 100 * 365 * 86400


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m``-style text (a bare number means seconds); raises :class:`InvalidInput`."""
    value = text.strip().lower().replace(" ", "")
    total = _seconds(value)
    if total is None:
        raise InvalidInput(
            f"cannot read the duration {text!r}", hint="write e.g. 30s, 15m, 24h, 7d or 1h30m"
        )
    if total > _CENTURY:
        raise InvalidInput(f"the duration {text!r} is longer than a century")
    return timedelta(seconds=total)


def _seconds(value: str) -> float | None:
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    pos = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        pos = match.end()
    return total if value and pos == len(value) else None


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration back from ``now`` (``24h``) or an ISO 8601 date/time."""
    if _seconds(text.strip().lower().replace(" ", "")) is not None:
        return (now or datetime.now(UTC)) - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"cannot read {text!r} as a time",
            hint="use a duration back from now (24h, 7d) or an ISO date (2026-01-31T12:00)",
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
