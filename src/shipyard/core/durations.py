"""Human durations and points in time: ``90s``, ``15m``, ``24h``, ``7d``, ``2w``, ISO dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from shipyard.core.errors import InvalidInput

__all__ = ["format_duration", "parse_duration", "parse_since"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse ``<number><unit>`` with unit s, m, h, d or w; raises :class:`InvalidInput`."""
    match = _DURATION.match(text.lower())
    if match is None:
        raise InvalidInput(
            f"cannot read {text!r} as a duration", hint="write it like 90s, 15m, 24h, 7d or 2w"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > 100 * 365 * 86400:
        raise InvalidInput(f"the duration {text!r} is longer than a century")
    return timedelta(seconds=seconds)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration back from ``now`` (``24h``) or an ISO 8601 date/time."""
    if _DURATION.match(text.lower()):
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
    """The largest whole unit that fits: ``2d``, ``5h``, ``30s``."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
