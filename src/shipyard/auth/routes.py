"""HTTP routes of users, tokens, logins and the audit log (thin over AuthService)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from shipyard.audit.entry import AuditEntry
from shipyard.auth.passwords import MAX_LENGTH, MIN_LENGTH
from shipyard.auth.service import (
    FAILED_LOGIN,
    USER_NAME,
    AuthService,
    CreatedToken,
    TokenInfo,
    UserInfo,
)
from shipyard.auth.token_service import TOKEN_NAME_MAX
from shipyard.context import Context
from shipyard.core.durations import parse_duration, parse_since
from shipyard.core.errors import Unauthenticated
from shipyard.core.principal import Role
from shipyard.server.fields import ProjectName, Text, except_pattern
from shipyard.server.security import request_context

__all__ = ["public_router", "router"]

router = APIRouter(tags=["auth"])
public_router = APIRouter(tags=["auth"])
Ctx = Annotated[Context, Depends(request_context)]
UserName = Annotated[StrictStr, Field(pattern=USER_NAME.pattern, max_length=100)]
Project = Annotated[ProjectName, Path()]
RoleName = Literal["viewer", "contributor", "maintainer", "admin"]
ProjectRole = Literal["viewer", "contributor", "maintainer"]
DURATION = r"^ *([0-9]+(\.[0-9]+)?|([0-9]+(\.[0-9]+)? *[wdhmsWDHMS] *)+)$"
"""As :func:`~shipyard.core.durations.parse_duration` reads one (30s, 24h, 1h30m)."""
NOT_ZERO = except_pattern(r"^[0. wdhmsWDHMS]*$", "a lifetime must be positive")
SINCE = (
    r"^( *([0-9]+(\.[0-9]+)?|([0-9]+(\.[0-9]+)? *[wdhmsWDHMS] *)+)|[0-9]{4}-(0[1-9]|1[0-2])-"
    r"(0[1-9]|[12][0-9]|3[01])([T ][0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-2][0-9]:[0-5][0-9])?)?)$"
)
"""A duration back from now, or an ISO date or time, as `core.durations.parse_since` reads it."""


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    id: str
    user: str
    name: str
    role_cap: str | None
    project: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None


class CreatedTokenOut(BaseModel):
    token: str = Field(description="The full token. Shown only in this answer.")
    info: TokenOut


class UserOut(BaseModel):
    name: str
    admin: bool
    disabled: bool
    roles: dict[str, str]
    created_at: datetime


class NewUser(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={  # what the validator below checks, for the published schema
            "if": {
                "properties": {"role": {"enum": list(get_args(ProjectRole))}},
                "required": ["role"],
            },
            "then": {"properties": {"project": {"type": "string"}}, "required": ["project"]},
        },
    )
    name: UserName
    password: Annotated[StrictStr, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)] | None = (
        None
    )
    role: RoleName | None = None
    project: ProjectName | None = None

    @model_validator(mode="after")
    def _project_role_has_a_project(self) -> NewUser:
        if self.role in get_args(ProjectRole) and self.project is None:
            raise ValueError("a project role needs a project")
        return self


class NewToken(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=TOKEN_NAME_MAX)] = "api"
    user: UserName | None = None
    role: RoleName | None = None
    project: ProjectName | None = None
    expires: Annotated[StrictStr, Field(max_length=100, pattern=DURATION), *NOT_ZERO] | None = (
        Field(default=None, description="Lifetime such as 30d.")
    )


class Membership(BaseModel):
    # Any role name parses; which of them a project takes is the service's rule (one place).
    role: RoleName | None = Field(
        description="viewer, contributor, maintainer, or null to remove (admin is refused)."
    )


class AuditEntryOut(BaseModel):
    seq: int
    time: datetime
    principal: str
    action: str
    target: str
    project: str | None
    source: str
    detail: dict[str, Any]


class ChainBreakOut(BaseModel):
    seq: int | None
    problem: str


class CheckpointOut(BaseModel):
    seq: int = Field(description="The newest entry the checkpoint vouches for.")
    count: int = Field(description="Entries up to and including it.")
    time: datetime
    key: str = Field(description="Fingerprint of the key that signed it.")
    where: str


class AuditVerification(BaseModel):
    intact: bool
    entries: int
    breaks: list[ChainBreakOut]
    checkpoint: CheckpointOut | None = Field(
        description="The newest valid signed checkpoint the log was checked against."
    )
    checkpoints: int = Field(description="Valid signed checkpoints checked against.")
    after_checkpoint: int = Field(
        description="Entries newer than the newest checkpoint (their deletion would not show)."
    )
    warnings: list[str]


def _token_out(info: TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id, user=info.user, name=info.name,
        role_cap=info.role_cap.label if info.role_cap else None, project=info.project,
        created_at=info.created_at, expires_at=info.expires_at, revoked=info.revoked,
        last_used_at=info.last_used_at,
    )  # fmt: skip


def _created_out(created: CreatedToken) -> CreatedTokenOut:
    return CreatedTokenOut(token=created.secret, info=_token_out(created.info))


def _user_out(info: UserInfo) -> UserOut:
    return UserOut(
        name=info.name, admin=info.admin, disabled=info.disabled,
        roles={p: r.label for p, r in info.roles.items()}, created_at=info.created_at,
    )  # fmt: skip


def _entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)


@public_router.post("/auth/login", summary="Exchange a user name and password for a token")
def login(body: LoginRequest, request: Request) -> CreatedTokenOut:
    ctx: Context = request.app.state.ctx
    if "\x00" in body.name:  # no user's name (PostgreSQL cannot even look it up)
        raise Unauthenticated(FAILED_LOGIN)
    source = request.client.host if request.client else "unknown"
    ttl = parse_duration(ctx.settings.server.login_ttl)
    created = AuthService(ctx.db).login(body.name, body.password, source=source, expires_in=ttl)
    return _created_out(created)


@router.get("/me", summary="Who the token belongs to and what it may do")
def me(ctx: Ctx) -> dict[str, Any]:
    p = ctx.principal
    return {
        "name": p.name,
        "kind": p.kind,
        "admin": p.admin,
        "roles": {project: role.label for project, role in p.roles.items()},
        "everywhere": p.everywhere.label if p.everywhere else None,
    }


@router.get("/users", summary="List users (admins)")
def list_users(ctx: Ctx) -> list[UserOut]:
    return [_user_out(u) for u in ctx.auth.list_users(ctx.principal)]


@router.post("/users", status_code=201, summary="Add a user (admins)")
def add_user(body: NewUser, ctx: Ctx) -> UserOut:
    role = Role.parse_optional(body.role)
    info = ctx.auth.add_user(
        ctx.principal, body.name, password=body.password, role=role, project=body.project
    )
    return _user_out(info)


@router.post("/users/{name}/disable", summary="Disable a user (admins)")
def disable_user(name: Annotated[UserName, Path()], ctx: Ctx) -> UserOut:
    return _user_out(ctx.auth.set_disabled(ctx.principal, name, True))


@router.post("/users/{name}/enable", summary="Enable a user (admins)")
def enable_user(name: Annotated[UserName, Path()], ctx: Ctx) -> UserOut:
    return _user_out(ctx.auth.set_disabled(ctx.principal, name, False))


@router.put("/projects/{project}/members/{name}", summary="Set a member's role (maintainers)")
def set_member(
    project: Project, name: Annotated[UserName, Path()], body: Membership, ctx: Ctx
) -> dict[str, str | None]:
    role = Role.parse_optional(body.role)
    ctx.auth.set_role(ctx.principal, name, project, role)
    return {"project": project, "user": name, "role": body.role}


@router.get("/tokens", summary="List your tokens (admins: anyone's)")
def list_tokens(ctx: Ctx, user: Annotated[UserName | None, Query()] = None) -> list[TokenOut]:
    return [_token_out(t) for t in ctx.auth.list_tokens(ctx.principal, user)]


@router.post("/tokens", status_code=201, summary="Create a token; the answer holds it once")
def create_token(body: NewToken, ctx: Ctx) -> CreatedTokenOut:
    expires = parse_duration(body.expires) if body.expires else None
    created = ctx.auth.create_token(
        ctx.principal, name=body.name, user=body.user, role_cap=Role.parse_optional(body.role),
        project=body.project, expires_in=expires,
    )  # fmt: skip
    return _created_out(created)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(
    token_id: Annotated[Text, Path(max_length=64)], ctx: Ctx, request: Request
) -> None:
    ctx.auth.revoke_token(ctx.principal, token_id)
    request.app.state.principals.clear()


@router.get("/audit", summary="Audit entries, newest first (admins)")
def list_audit(
    ctx: Ctx,
    since: Annotated[StrictStr | None, Query(max_length=100, pattern=SINCE)] = None,
    action: Annotated[Text | None, Query(max_length=100)] = None,
    principal: Annotated[Text | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AuditEntryOut]:
    start = parse_since(since) if since else None
    rows = ctx.auth.audit_entries(
        ctx.principal, since=start, action=action, who=principal, limit=limit
    )
    return [_entry_out(r) for r in rows]


@router.get(
    "/audit/verify",
    summary="Check the audit log's hash chain and its signed checkpoints (admins)",
)
def verify_audit(ctx: Ctx) -> AuditVerification:
    report = ctx.auth.verify_audit(ctx.principal)
    return AuditVerification.model_validate(report.to_dict())
