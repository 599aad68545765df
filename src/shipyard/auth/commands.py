"""CLI of users, tokens and the audit log: ``shipyard users|tokens|audit …``.

Run against the metadata store directly (embedded or ``--uri postgresql://…``),
these act as the local owner; that is how the first admin is created, with no
server. With ``SHIPYARD_URI=https://…`` they go to the team server and act as
the token's user (``ctx.auth``: :mod:`shipyard.auth.api`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipyard.cli.console import console, print_json, success, warn
from shipyard.cli.errors import check_failed

if TYPE_CHECKING:
    from shipyard.auth.service import TokenInfo
from shipyard.cli.state import CliState
from shipyard.core.principal import Role

__all__ = ["audit_app", "tokens_app", "users_app"]

users_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="Read and verify the tamper-evident audit log.", no_args_is_help=True)

RoleOption = Annotated[
    str | None, typer.Option("--role", help="viewer, contributor, maintainer or admin.")
]
ProjectOption = Annotated[str | None, typer.Option("--project", help="The project the role is in.")]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    role: RoleOption = None,
    project: ProjectOption = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Tokens only; the user cannot log in.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user; `--role admin` makes an administrator (the way to create the first one)."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    parsed = Role.parse_optional(role)
    if parsed is not None and parsed is not Role.ADMIN and project is None:
        project = app_ctx.project
    password = None if no_password else _read_password(password_stdin)
    info = app_ctx.auth.add_user(
        app_ctx.principal, name, password=password, role=parsed, project=project
    )
    what = "admin" if info.admin else ", ".join(f"{r.label} in {p}" for p, r in info.roles.items())
    success(f"added user {info.name}" + (f" ({what})" if what else ""))


@users_app.command("ls")
def users_ls(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List users with their roles."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    users = app_ctx.auth.list_users(app_ctx.principal)
    if as_json:
        print_json([
            {"name": u.name, "admin": u.admin, "disabled": u.disabled,
             "roles": {p: r.label for p, r in u.roles.items()},
             "created_at": u.created_at.isoformat()}
            for u in users
        ])  # fmt: skip
        return
    table = Table("user", "roles", "state", "created")
    for u in users:
        roles = "admin" if u.admin else ", ".join(f"{p}: {r.label}" for p, r in u.roles.items())
        state_text = "[red]disabled[/]" if u.disabled else "active"
        table.add_row(escape(u.name), escape(roles or "-"), state_text, f"{u.created_at:%Y-%m-%d}")
    console.print(table)


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: str) -> None:
    """Disable a user: its tokens stop working at once."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    app_ctx.auth.set_disabled(app_ctx.principal, name, True)
    success(f"disabled user {name}")


@users_app.command("enable")
def users_enable(ctx: typer.Context, name: str) -> None:
    """Enable a disabled user again."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    app_ctx.auth.set_disabled(app_ctx.principal, name, False)
    success(f"enabled user {name}")


@users_app.command("role")
def users_role(
    ctx: typer.Context,
    name: str,
    role: Annotated[str, typer.Argument(help="viewer, contributor, maintainer, or none.")],
    project: ProjectOption = None,
) -> None:
    """Give a user a role in a project (`none` removes it)."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    parsed = None if role.lower() == "none" else Role.parse_optional(role)
    target = project or app_ctx.project
    app_ctx.auth.set_role(app_ctx.principal, name, target, parsed)
    success(f"{name} is now {parsed.label if parsed else 'without a role'} in {target}")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Owner (default: you).")] = None,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "api",
    role: RoleOption = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Only valid in this project.")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="Lifetime such as 30d (default: none, or your token's expiry if it has one).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create an API token. It is shown once: store it in a secret manager."""
    from shipyard.core.durations import parse_duration

    state: CliState = ctx.obj
    app_ctx = state.context()
    created = app_ctx.auth.create_token(
        app_ctx.principal, name=name, user=user, role_cap=Role.parse_optional(role),
        project=project, expires_in=parse_duration(expires) if expires else None,
    )  # fmt: skip
    if as_json:
        print_json({"token": created.secret, "info": _token_json(created.info)})
        return
    ends = created.info.expires_at  # a token made with an expiring one expires with it
    until = f", expiring {ends:%Y-%m-%d %H:%M} UTC" if ends else ", never expiring"
    success(f"created token {created.info.id} for {created.info.user}{until}")
    warn("this is the only time the token is shown; store it now")
    console.file.write(created.secret + "\n")


def _token_json(t: TokenInfo) -> dict[str, object]:
    return {
        "id": t.id, "user": t.user, "name": t.name,
        "role_cap": t.role_cap.label if t.role_cap else None, "project": t.project,
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked": t.revoked,
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
    }  # fmt: skip


@tokens_app.command("ls")
def tokens_ls(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", help="Whose tokens (default: yours).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List tokens (never their secrets)."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    tokens = app_ctx.auth.list_tokens(app_ctx.principal, user)
    if as_json:
        print_json([_token_json(t) for t in tokens])
        return
    table = Table("id", "name", "role cap", "project", "expires", "state", "last used")
    for t in tokens:
        table.add_row(
            t.id, escape(t.name), t.role_cap.label if t.role_cap else "-", escape(t.project or "-"),
            f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never",
            "[red]revoked[/]" if t.revoked else "active",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
        )  # fmt: skip
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: str) -> None:
    """Revoke a token at once."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    app_ctx.auth.revoke_token(app_ctx.principal, token_id)
    success(f"revoked token {token_id}")


@audit_app.command("ls")
def audit_ls(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="24h, 7d or an ISO date/time.")
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    who: Annotated[str | None, typer.Option("--principal", help="Only this principal.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List audit entries, newest first."""
    from shipyard.core.durations import parse_since

    state: CliState = ctx.obj
    app_ctx = state.context()
    start = parse_since(since) if since else None
    events = app_ctx.auth.audit_entries(
        app_ctx.principal, since=start, action=action, who=who, limit=limit
    )
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    table = Table("#", "time (UTC)", "who", "action", "target", "from")
    for e in events:
        table.add_row(
            str(e.seq), f"{e.time:%Y-%m-%d %H:%M:%S}", escape(e.principal), escape(e.action),
            escape(e.target), escape(e.source),
        )  # fmt: skip
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    checkpoints: Annotated[
        Path | None,
        typer.Option("--checkpoints", help="Also check against checkpoints exported here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the hash chain and the signed checkpoints: exit 1 and name every entry
    edited, deleted or inserted."""
    from shipyard.audit.render import print_report

    state: CliState = ctx.obj
    app_ctx = state.context()
    report = app_ctx.auth.verify_audit(app_ctx.principal, exported=checkpoints)
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)
    if not report.intact:
        raise check_failed()


@audit_app.command("checkpoint")
def audit_checkpoint(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Sign and store a checkpoint of the log's newest entry now (if it moved).

    Needs the database and audit.checkpoint_key; a team server also writes them
    itself every audit.checkpoint_interval.
    """
    from shipyard.audit.render import print_written

    state: CliState = ctx.obj
    app_ctx = state.context()
    result, where = app_ctx.auth.write_checkpoint(app_ctx.principal)
    if not as_json:
        print_written(result, where)
        return
    print_json({
        "written": result.written is not None, "key": result.key,
        "checkpoint": result.written.document() if result.written else None,
        "latest": result.latest.body() if result.latest else None,
        "exports": [{"target": e.target, "error": e.error} for e in result.exports],
    })  # fmt: skip


@audit_app.command("keygen")
def audit_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the private key (PEM).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key.")] = False,
) -> None:
    """Make an ECDSA P-256 key pair to sign audit checkpoints (PATH and its .pub.pem)."""
    from shipyard.audit.keys import generate_checkpoint_key

    public, fingerprint = generate_checkpoint_key(path, force=force)
    success(f"wrote {path} (private, mode 0600) and {public}")
    console.print(f"fingerprint: {fingerprint}")
    warn("keep the private key where the metadata store's writers cannot read it and set "
         "audit.checkpoint_key to it on the server; verifiers trust the public key "
         "(audit.checkpoint_public_key)")  # fmt: skip
