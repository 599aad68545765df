"""Run the API server (or any ASGI app of ours) with uvicorn, TLS 1.2 or newer only."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import uvicorn

__all__ = ["TLSConfig", "serve"]


class TLSConfig(uvicorn.Config):
    """uvicorn's config, with TLS older than 1.2 refused whatever the system default is."""

    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.minimum_version = ssl.TLSVersion.TLSv1_2


def serve(
    app: str | Callable[..., Any],
    *,
    host: str,
    port: int,
    workers: int = 1,
    tls_cert: str = "",
    tls_key: str = "",
    factory: bool = False,
    log_level: str = "info",
    access_log: bool = True,
    timeout_graceful_shutdown: int | None = None,
) -> None:
    """Serve until interrupted; ``workers`` > 1 needs ``app`` as an import string."""
    config = TLSConfig(
        app,
        host=host,
        port=port,
        workers=workers,
        factory=factory,
        ssl_certfile=tls_cert or None,
        ssl_keyfile=tls_key or None,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=timeout_graceful_shutdown,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
    server = uvicorn.Server(config)
    if workers <= 1:
        server.run()
        return
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()
