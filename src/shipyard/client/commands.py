"""``shipyard login``, ``logout`` and ``whoami``: credentials for a team server."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, success
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput

__all__ = ["login", "logout", "whoami"]


def _server_url(state: CliState, url: str | None) -> str:
    if url:
        state.flags["store.uri"] = url
    try:
        client = state.context().remote  # the context says which server, or that it has none
    except InvalidInput:
        raise InvalidInput(
            "say which server to log in to",
            hint="shipyard login https://host:port (or set SHIPYARD_URI)",
        ) from None
    return client.base_url


def login(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(help="Server URL (default: SHIPYARD_URI).")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="User name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    sso: Annotated[
        bool, typer.Option("--sso", help="Sign in through the server's OpenID provider.")
    ] = False,
) -> None:
    """Log in to a team server and save the session token for later commands."""
    from shipyard.client.credentials import save_token
    from shipyard.client.http import ApiClient

    state: CliState = ctx.obj
    server = _server_url(state, url)
    if sso:
        if user or password_stdin:
            raise InvalidInput("--sso takes no user name or password", hint="drop --user")
        from shipyard.client.sso import sso_login

        sso_login(state, server)
        return
    name = user or typer.prompt("User")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    settings = state.context().settings.client
    with ApiClient(server, ca_bundle=settings.ca_bundle, timeout=settings.timeout_s) as client:
        answer = client.post("/api/v1/auth/login", {"name": name, "password": password})
    path = save_token(server, answer["token"])
    expires = answer["info"].get("expires_at") or "never"
    success(f"logged in to {escape(server)} as {escape(name)} (token expires {expires})")
    console.print(f"  token saved in {escape(str(path))} (readable only by you)")


def logout(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(help="Server URL (default: SHIPYARD_URI).")] = None,
) -> None:
    """Revoke the saved session token and forget it."""
    from shipyard.client.credentials import forget_token, saved_token
    from shipyard.core.errors import ShipyardError

    state: CliState = ctx.obj
    server = _server_url(state, url)
    token = saved_token(server)
    if token and token.count("_") >= 2:
        # An expired or revoked token cannot be revoked again: forgetting it is what matters.
        with contextlib.suppress(ShipyardError):
            state.context().remote.request("DELETE", f"/api/v1/tokens/{token.split('_')[1]}")
    if forget_token(server):
        success(f"logged out of {escape(server)}")
    else:
        console.print(f"not logged in to {escape(server)}")


def whoami(ctx: typer.Context) -> None:
    """Show who the current credentials act as."""
    state: CliState = ctx.obj
    app_ctx = state.context()
    try:
        client = app_ctx.remote
    except InvalidInput:  # no server: this workspace's own principal acts
        console.print(f"{escape(app_ctx.principal.name)} (local owner of this workspace)")
        return
    me = client.get("/api/v1/me")
    roles = "admin" if me["admin"] else ", ".join(f"{p}: {r}" for p, r in me["roles"].items())
    where = escape(app_ctx.settings.store.uri)
    console.print(f"{escape(me['name'])} on {where} ({escape(roles or 'no roles')})")
