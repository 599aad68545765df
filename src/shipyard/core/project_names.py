"""What a project may be called (checked without importing the database layer)."""

from __future__ import annotations

import re

from shipyard.core.errors import InvalidInput

__all__ = ["PROJECT_NAME", "check_project_name"]

PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_project_name(name: str) -> str:
    """Return ``name`` if it is a valid project name, else raise :class:`InvalidInput`."""
    if not PROJECT_NAME.match(name):
        raise InvalidInput(
            f"invalid project name {name!r}",
            hint="use up to 100 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name
