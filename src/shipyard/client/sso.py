"""``shipyard login --sso``: a device sign-in through the team server's OpenID provider.

The server starts the sign-in and polls the provider (it holds the client
secret); this side shows the user where to confirm, then asks the server every
``interval`` seconds until the confirmation arrives, the code expires, or the
user refuses. The session token is saved exactly as ``shipyard login --user``
saves one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.markup import escape

from shipyard.cli.console import console, success
from shipyard.cli.state import CliState
from shipyard.client.credentials import save_token
from shipyard.client.http import ApiClient, read_answer
from shipyard.core.errors import Unauthenticated

__all__ = ["sso_login"]

DEVICE = "/api/v1/auth/sso/device"


def sso_login(
    state: CliState,
    server: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    settings = state.context().settings.client
    with ApiClient(server, ca_bundle=settings.ca_bundle, timeout=settings.timeout_s) as client:
        # One try each: a provider that is down is said at once, not retried for minutes.
        started = client.request("POST", DEVICE, deadline_s=0).json()
        handle, code, interval, expires_in = read_answer(
            lambda d: (str(d["handle"]), str(d["user_code"]), int(d["interval"]),
                       int(d["expires_in"])),
            started,
        )  # fmt: skip
        link = started.get("verification_uri_complete") or started.get("verification_uri")
        console.print(f"Open {escape(str(link))}")
        console.print(f"and confirm the code {escape(code)}  (waiting for {expires_in} s)")
        deadline = clock() + expires_in
        while clock() < deadline:
            sleep(interval)
            answer = client.request("POST", f"{DEVICE}/token", json={"handle": handle},
                                    deadline_s=0)  # fmt: skip
            body = answer.json()
            if answer.status_code == 202:
                interval = max(interval, int(body.get("interval", interval)))
                continue
            token, name, expires = read_answer(
                lambda d: (str(d["token"]), str(d["info"]["user"]), d["info"].get("expires_at")),
                body,
            )
            path = save_token(server, token)
            success(f"logged in to {escape(server)} as {escape(name)} (token expires "
                    f"{expires or 'never'})")  # fmt: skip
            console.print(f"  token saved in {escape(str(path))} (readable only by you)")
            return
    raise Unauthenticated("the sign-in was not confirmed in time",
                          hint="run `shipyard login --sso` again")  # fmt: skip
