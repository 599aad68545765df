"""``shipyard ui``: the web UI over this workspace, on this machine, for one user."""

from __future__ import annotations

import secrets
import webbrowser
from collections.abc import Callable
from typing import Annotated, Any

import typer

from shipyard.cli.console import console, warn
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require

__all__ = ["ui"]

DEFAULT_PORT = 5110


def ui(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = DEFAULT_PORT,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser.")
    ] = False,
) -> None:
    """Serve the web UI for this workspace (no login: the link it prints holds a one-time key)."""
    require("server", "shipyard ui")
    import uvicorn

    from shipyard.server.app import create_app

    state: CliState = ctx.obj
    context = state.context()
    if context.settings.workspace is None:
        raise InvalidInput(
            "shipyard ui serves a workspace, and there is none here",
            hint="run it inside a workspace (shipyard init), or use `shipyard server` for a team",
        )
    context.db  # noqa: B018  (refuse to start on an unreachable or outdated store)
    if host not in ("127.0.0.1", "localhost", "::1"):
        warn(f"the UI acts as this workspace's owner: anyone who gets its link from {host} may")
    app = create_app(context)
    app.state.ui_key = secrets.token_urlsafe(32)
    if not app.state.ui_assets.built:
        warn("the UI is not built in this installation: run scripts/build-ui")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", server_header=False)

    def announce(server: uvicorn.Server) -> None:
        bound = port
        for sock in (s for srv in server.servers for s in srv.sockets):
            bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        link = f"http://{shown}:{bound}/ui/enter?key={app.state.ui_key}"
        console.print(f"Shipyard UI for project {context.project}: {link}", soft_wrap=True)
        console.print("(Ctrl-C stops it; the link works until then)")
        if open_browser:
            webbrowser.open(link)

    _announcing(config, announce).run()


def _announcing(config: Any, announce: Callable[[Any], None]) -> Any:
    """A uvicorn server that says where it listens once bound (``--port 0`` picks a port)."""
    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                announce(self)

    return Announcing(config)
