from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shipyard.core.durations import format_duration, parse_duration, parse_since
from shipyard.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", 0), ("90", 90), ("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800),
        ("1h30m", 5400), ("2w", 1209600), ("1.5h", 5400),
    ],
)  # fmt: skip
def test_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "5x", "-3h", "1h-", "3 parsecs", "1e9w", "999999w"])
def test_bad_durations_say_how_to_write_them(text: str) -> None:
    with pytest.raises(InvalidInput, match="duration"):
        parse_duration(text)


def test_since_accepts_a_duration_back_or_an_iso_time() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_since("24h", now=now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_since("2025-12-31T10:00") == datetime(2025, 12, 31, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="as a time"):
        parse_since("yesterday")


def test_format() -> None:
    assert format_duration(timedelta(hours=26, minutes=5)) == "1d2h5m"
    assert format_duration(timedelta(0)) == "0s"
