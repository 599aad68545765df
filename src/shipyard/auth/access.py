"""What a token may do, and the ceiling on what a principal may hand out.

A token's power is its user's roles narrowed to its project, capped at its
role, and bounded by its expiry (:func:`token_power`). Whoever creates a token
may not give it more than they hold themselves (:func:`check_mint`):

- a token capped at a role or scoped to a project creates no tokens at all (a
  child would outlive the parent's revocation, so a leaked narrow token could
  not be shut off by revoking it);
- the new token's power must be within the creator's in every project;
- a token never outlives the token that created it: asking for no expiry
  gives the creator's, asking for a later one is refused.

Refusals are :class:`PermissionDenied` (audited by the server like any denial).
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard.auth.tables import MembershipRow, UserRow
from shipyard.core.errors import NotFound, PermissionDenied
from shipyard.core.principal import Principal, Role, TokenBounds

__all__ = [
    "check_mint",
    "get_user",
    "refuse_restricted",
    "require_admin",
    "token_power",
    "user_roles",
]

_NARROW_HINT = "use your login (`shipyard login`) or a token with no role cap and no project"


def require_admin(principal: Principal, action: str) -> None:
    if not principal.admin:
        raise PermissionDenied(f"{principal.name} may not {action}", hint="this needs an admin")


def refuse_restricted(principal: Principal, action: str) -> None:
    """Refuse ``action`` to a token capped at a role or scoped to a project."""
    if principal.token is not None and principal.token.restricted:
        raise PermissionDenied(
            f"{principal.name} may not {action} with a token capped at a role or scoped "
            "to a project",
            hint=_NARROW_HINT,
        )


def get_user(session: Session, name: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}", hint="list users with `shipyard users ls`")
    return user


def user_roles(session: Session, user: UserRow) -> dict[str, Role]:
    rows = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user.id)).all()
    return {m.project: Role(m.role) for m in rows}


def token_power(
    session: Session,
    user: UserRow,
    role_cap: Role | None,
    project: str | None,
    bounds: TokenBounds | None = None,
) -> Principal:
    """What a token of ``user`` with this cap and project may do: the user's roles,
    narrowed to the project and capped at the role (an admin's capped token is not
    an admin)."""
    if user.admin:
        if project is not None:
            return Principal(
                name=user.name, kind="token", token=bounds,
                roles=MappingProxyType({project: role_cap or Role.ADMIN}),
            )  # fmt: skip
        if role_cap is None or role_cap is Role.ADMIN:
            return Principal(name=user.name, kind="token", admin=True, token=bounds)
        return Principal(name=user.name, kind="token", everywhere=role_cap, token=bounds)
    roles = user_roles(session, user)
    if project is not None:
        roles = {p: r for p, r in roles.items() if p == project}
    if role_cap is not None:
        roles = {p: min(r, role_cap) for p, r in roles.items()}
    return Principal(name=user.name, kind="token", roles=MappingProxyType(roles), token=bounds)


def check_mint(
    principal: Principal, power: Principal, expires_at: datetime | None
) -> datetime | None:
    """The expiry a new token of power ``power`` gets when ``principal`` creates it.

    ``expires_at`` is the expiry asked for (None: none asked). Raises
    :class:`PermissionDenied` when the token would exceed its creator.
    """
    refuse_restricted(principal, "create tokens")
    if not principal.covers(power):
        raise PermissionDenied(
            f"{principal.name} may not create a token with more power than its own "
            f"({_excess(principal, power)})",
            hint="ask for a lower --role or a --project you hold that role in",
        )
    limit = principal.token.expires_at if principal.token is not None else None
    if limit is None:
        return expires_at
    if expires_at is None:
        return limit  # a token never outlives the token that created it
    if expires_at > limit:
        raise PermissionDenied(
            f"{principal.name} may not create a token that outlives its own "
            f"(which expires at {limit:%Y-%m-%d %H:%M:%S} UTC)",
            hint="ask for a shorter --expires, or none to get your token's expiry",
        )
    return expires_at


def _excess(principal: Principal, power: Principal) -> str:
    """What ``power`` holds beyond ``principal``, for the refusal's message."""
    if power.admin:
        return "it would be an admin"
    if power.everywhere is not None and not (
        principal.everywhere is not None and principal.everywhere >= power.everywhere
    ):
        return f"it would be {power.everywhere.label} in every project"
    for project, role in sorted(power.roles.items()):
        if not principal.has(role, project):
            return f"it would be {role.label} in project {project!r}"
    return "it would exceed it"  # pragma: no cover - covers() said it does
