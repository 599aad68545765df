from __future__ import annotations

from datetime import timedelta

import pytest

from shipyard.core.durations import format_duration, parse_duration
from shipyard.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0), ("90", 90), ("15m", 900), ("24h", 86400), ("1h30m", 5400), ("2w", 1209600)],
)
def test_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "5x", "-3h", "1h-", "3 parsecs"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidInput, match="duration"):
        parse_duration(text)


def test_format() -> None:
    assert format_duration(timedelta(hours=26, minutes=5)) == "1d2h5m"
    assert format_duration(timedelta(0)) == "0s"
