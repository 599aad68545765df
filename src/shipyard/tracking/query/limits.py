"""How large a filter or ordering may be: bounded here, so no database sees one it refuses.

Without these bounds a large filter reached SQLite's expression-depth, parser
stack or variable limits (or PostgreSQL's 65,535 parameters) and came back as
a misleading "cannot use the metadata store". Over a bound, the parser raises
:class:`InvalidInput` saying the query is too complex (HTTP 400), the same on
every backend, in the CLI, the SDK and over HTTP. The numbers leave room to
spare: ``tests/tracking/test_filter_limits.py`` runs the largest filter and
ordering allowed on SQLite and PostgreSQL.
"""

from __future__ import annotations

from shipyard.core.errors import InvalidInput

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_LIST_VALUES",
    "MAX_ORDER_KEYS",
    "MAX_TERMS",
    "check_length",
    "too_complex",
]

MAX_DEPTH = 20
"""Nested parentheses and ``not``: SQLite's parser stack overflows at about 30."""
MAX_TERMS = 200
"""Conditions in one filter: SQLite nests an expression per condition, to a depth of 1,000."""
MAX_LIST_VALUES = 1_000
"""Values in all of a filter's ``in (…)`` lists together (each is a bound parameter)."""
MAX_ORDER_KEYS = 8
"""Sort keys: the page token's condition nests once per sort column (twice per param)."""
MAX_CHARS = 100_000
"""Characters of a filter or ordering (as much as the server's search route accepts)."""

_SIMPLER = "split the search in parts, or use `field in (…)` for many values of one field"


def check_length(text: str, what: str) -> None:
    if len(text) > MAX_CHARS:
        raise InvalidInput(
            f"the {what} is too long ({len(text):,} characters; at most {MAX_CHARS:,})",
            hint=_SIMPLER,
        )


def too_complex(what: str, size: str, limit: int, hint: str = _SIMPLER) -> InvalidInput:
    """The error for a ``what`` ("filter", "ordering") of ``size`` over ``limit``."""
    return InvalidInput(f"the {what} is too complex ({size}; at most {limit:,})", hint=hint)
