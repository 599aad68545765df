"""Who is asking: the principal every service call carries.

Roles are ordered: each one holds every permission of the roles below it.
Authorisation is decided here and checked in the services, so the CLI, the
SDK and the HTTP server cannot disagree.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from shipyard.core.errors import InvalidInput, PermissionDenied

__all__ = ["LOCAL_OWNER", "Principal", "Role", "TokenBounds"]


class Role(enum.IntEnum):
    """Per-project roles, weakest first."""

    VIEWER = 10
    CONTRIBUTOR = 20
    MAINTAINER = 30
    ADMIN = 40

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """Parse a role name (case-insensitive); raises :class:`InvalidInput` naming the choices."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(r.label for r in cls)
            raise InvalidInput(f"unknown role {text!r}; choose one of {choices}") from None

    @classmethod
    def parse_optional(cls, text: str | None) -> Role | None:
        return None if text is None else cls.parse(text)


@dataclass(frozen=True)
class TokenBounds:
    """The API token a principal acts through: what narrows it, and when it ends.

    Carried on the principal so that services can refuse a delegation that would
    exceed it (a token minting a broader or longer-lived token).
    """

    id: str
    role_cap: Role | None = None
    project: str | None = None
    expires_at: datetime | None = None

    @property
    def restricted(self) -> bool:
        """Capped at a role or scoped to a project: less than its user's full power."""
        return self.role_cap is not None or self.project is not None


@dataclass(frozen=True)
class Principal:
    """An authenticated user, token or local owner.

    ``roles`` maps project name to role; ``everywhere`` is a role held in every
    project (for example a read-only token of an admin); ``admin`` holds every
    role everywhere and may manage users.
    """

    name: str
    kind: str = "user"
    admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    everywhere: Role | None = None
    source: str = "local"
    """Where the request came from (client address, token id), for the audit log."""
    token: TokenBounds | None = None
    """The token it authenticated with (None for the local owner and plain users)."""

    def role_in(self, project: str) -> Role | None:
        """The principal's role in ``project``, or None when it has none."""
        if self.admin:
            return Role.ADMIN
        held = self.roles.get(project)
        if self.everywhere is not None and (held is None or self.everywhere > held):
            return self.everywhere
        return held

    def has(self, role: Role, project: str) -> bool:
        held = self.role_in(project)
        return held is not None and held >= role

    def readable_projects(self) -> frozenset[str] | None:
        """The projects it may read (every role includes reading); None for all of them."""
        if self.admin or self.everywhere is not None:
            return None
        return frozenset(self.roles)

    def covers(self, other: Principal) -> bool:
        """Whether it holds, in every project, at least the role ``other`` holds there.

        ``roles`` is finite, so "every project" reduces to comparing ``everywhere``
        and then each project ``other`` names.
        """
        if self.admin:
            return True
        if other.admin:
            return False
        if other.everywhere is not None and (
            self.everywhere is None or self.everywhere < other.everywhere
        ):
            return False
        return all(self.has(role, project) for project, role in other.roles.items())

    def require(self, role: Role, project: str, action: str) -> None:
        """Raise :class:`PermissionDenied` unless the principal holds ``role`` in ``project``."""
        if not self.has(role, project):
            raise PermissionDenied(
                f"{self.name} may not {action} in project {project!r}",
                hint=f"this needs the {role.label} role; ask a maintainer of the project",
            )


LOCAL_OWNER = Principal(name="local", kind="local", admin=True)
"""The principal of an embedded workspace: whoever can write its files owns it."""
