"""``shipyard server``: run the team server."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.console import console, warn
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require

__all__ = ["server"]


def server(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Metadata store, e.g. postgresql://user@host/db.")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Object store: s3://bucket/prefix or a folder."),
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate (chain) for HTTPS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
) -> None:
    """Run the team server: the HTTP API over every service, with users, tokens and roles."""
    require("server", "shipyard server")
    state: CliState = ctx.obj
    if db:
        state.flags["store.uri"] = db
    if store:
        state.flags["objects.path"] = store
    if tls_cert:
        state.flags["server.tls_cert"] = str(tls_cert)
    if tls_key:
        state.flags["server.tls_key"] = str(tls_key)
    settings = state.context().settings
    cert, key = settings.server.tls_cert, settings.server.tls_key
    if bool(cert) != bool(key):
        raise InvalidInput("TLS needs both --tls-cert and --tls-key")
    for path in (cert, key):
        if path and not Path(path).is_file():
            raise InvalidInput(f"cannot read {path}", hint="check the path and its permissions")
    state.context().db  # noqa: B018  (refuse to start on an unreachable or outdated store)
    _check_objects(state)
    if settings.audit.checkpoint_key:  # a bad key: one line here, not a traceback per worker
        from shipyard.audit.setup import checkpoint_writer

        checkpoint_writer(state.context())
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    if not cert and bind_host not in ("127.0.0.1", "localhost", "::1"):
        warn("serving plain HTTP on a network address: use --tls-cert/--tls-key or a TLS proxy")
    scheme = "https" if cert else "http"
    console.print(f"Shipyard server on {scheme}://{bind_host}:{bind_port} (workers: {workers})")
    # Worker processes rebuild the app from the environment: hand the flags over there.
    for key_name, value in state.flags.items():
        if value is not None and key_name != "debug":
            os.environ["SHIPYARD_" + key_name.replace(".", "_").upper()] = str(value)
    if state.cwd is not None:
        os.chdir(state.cwd)
    state.close()
    from shipyard.server.run import serve

    with _shared_metrics(workers):
        serve(
            "shipyard.server.factory:app_from_environment",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            tls_cert=cert,
            tls_key=key,
        )


def _check_objects(state: CliState) -> None:
    """Refuse to start without an object store (push, pull and artifacts need one)."""
    from shipyard.core.errors import WorkspaceNotFound

    try:
        state.context().objects  # noqa: B018
    except WorkspaceNotFound:
        raise InvalidInput(
            "the server needs an object store",
            hint="pass --store s3://bucket/prefix (or an absolute folder), "
            "or start it inside a workspace",
        ) from None


@contextmanager
def _shared_metrics(workers: int) -> Iterator[None]:
    """Several workers write metrics to one folder, so /metrics reports them all."""
    from shipyard.server.metrics import MULTIPROC_ENV

    given = os.environ.get(MULTIPROC_ENV)
    if workers <= 1 and not given:
        yield
        return
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="shipyard-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):  # counts of an earlier run must not add up
        old.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(folder, ignore_errors=True)
