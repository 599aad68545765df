"""The people and tokens of the delegation tests, and the rule they must obey.

Kept apart from the tests so the service tests and the HTTP tests share one
oracle: who may mint which token (:func:`may_mint`) and what "no broader than
its creator" means (:func:`problems`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shipyard.auth.service import AuthService, TokenInfo
from shipyard.core.principal import LOCAL_OWNER, Principal, Role

P1, P2, P3 = "p1", "p2", "p3"
PROJECTS = (P1, P2, P3)
"""p3: a project nobody holds a role in (where ``everywhere`` shows)."""
CREATOR_LIFETIME = timedelta(hours=1)
SHORTER, LONGER = timedelta(minutes=30), timedelta(hours=2)


def add_people(auth: AuthService) -> None:
    """root (admin), ann (maintainer of p1, contributor in p2), bob (viewer of p1)."""
    auth.add_user(LOCAL_OWNER, "root", role=Role.ADMIN)
    auth.add_user(LOCAL_OWNER, "ann", role=Role.MAINTAINER, project=P1)
    auth.set_role(LOCAL_OWNER, "ann", P2, Role.CONTRIBUTOR)
    auth.add_user(LOCAL_OWNER, "bob", role=Role.VIEWER, project=P1)


@dataclass(frozen=True)
class Creator:
    user: str
    cap: Role | None
    scope: str | None
    lifetime: timedelta | None

    @property
    def restricted(self) -> bool:
        return self.cap is not None or self.scope is not None

    @property
    def admin(self) -> bool:
        return self.user == "root" and not self.restricted

    def __str__(self) -> str:
        cap = self.cap.label if self.cap else "uncapped"
        life = "expiring" if self.lifetime else "forever"
        return f"{self.user}-{cap}-{self.scope or 'anywhere'}-{life}"


@dataclass(frozen=True)
class Ask:
    owner: str | None
    """None: the creator's own user."""
    role: Role | None
    project: str | None
    lifetime: timedelta | None

    def __str__(self) -> str:
        role = self.role.label if self.role else "any-role"
        life = self.lifetime and int(self.lifetime.total_seconds() // 60)
        return f"for:{self.owner or 'self'}/{role}/{self.project or 'anywhere'}/{life or 'none'}m"


CREATORS = [
    Creator(user, cap, scope, lifetime)
    for user in ("root", "ann")
    for cap in (None, Role.VIEWER, Role.MAINTAINER)
    for scope in (None, P1)
    for lifetime in (None, CREATOR_LIFETIME)
]
ASKS = [
    Ask(owner, role, project, lifetime)
    for owner in (None, "bob")
    for role in (None, *Role)
    for project in (None, P1, P2)
    for lifetime in (None, SHORTER, LONGER)
]


@dataclass(frozen=True)
class Made:
    secret: str
    principal: Principal
    expires_at: datetime | None
    id: str


def creator_token(auth: AuthService, creator: Creator) -> Made:
    """A token as ``creator`` describes, made by the local owner, and who it stands for."""
    created = auth.create_token(
        LOCAL_OWNER, name="creator", user=creator.user, role_cap=creator.cap,
        project=creator.scope, expires_in=creator.lifetime,
    )  # fmt: skip
    principal = auth.authenticate(created.secret)
    return Made(created.secret, principal, created.info.expires_at, created.info.id)


def may_mint(creator: Creator, ask: Ask) -> bool:
    """The documented rule, written independently of the service.

    Only an admin mints for others; a capped or scoped token mints nothing; a
    token never outlives its creator (none asked: it gets the creator's expiry).
    Power needs no separate check here: an unrestricted creator holds all of its
    user's power, and an admin all power.
    """
    if creator.restricted:
        return False
    if ask.owner is not None and ask.owner != creator.user and not creator.admin:
        return False
    return not (
        creator.lifetime is not None
        and ask.lifetime is not None
        and ask.lifetime > creator.lifetime
    )


def _rank(role: Role | None) -> int:
    return 0 if role is None else int(role)


def problems(
    creator: Principal, creator_expiry: datetime | None, minted: Principal, info: TokenInfo
) -> list[str]:
    """How the minted token exceeds its creator (empty: it does not)."""
    found = []
    if minted.admin and not creator.admin:
        found.append("it is an admin")
    for project in PROJECTS:
        if _rank(minted.role_in(project)) > _rank(creator.role_in(project)):
            found.append(f"{minted.role_in(project)} in {project} > {creator.role_in(project)}")
    if creator_expiry is not None and (info.expires_at is None or info.expires_at > creator_expiry):
        found.append(f"expires at {info.expires_at}, after its creator ({creator_expiry})")
    return found
