"""Identifiers: short, unique, sortable by creation time.

An id is 26 characters of Crockford base32 (lower case): 48 bits of
milliseconds since the epoch followed by 80 random bits, like a ULID. Sorting
ids sorts by creation time, which keeps B-tree indexes append-mostly.
"""

from __future__ import annotations

import os
import re
import time

__all__ = ["ID_PATTERN", "is_id", "new_id"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = re.compile(r"^[0-9abcdefghjkmnpqrstvwxyz]{26}$")


def new_id(now_ms: int | None = None) -> str:
    """Return a new id; ``now_ms`` fixes the time part (for tests)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_id(text: str) -> bool:
    """True if ``text`` has the shape of an id made by :func:`new_id`."""
    return bool(ID_PATTERN.match(text))
