"""TLS end to end: a trusted client gets through, an untrusting one and old TLS do not."""

from __future__ import annotations

import socket
import ssl
import warnings
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.certs import self_signed


@pytest.fixture
def tls_port(server_app: FastAPI, live_server, tmp_path: Path) -> tuple[int, Path]:  # type: ignore[no-untyped-def]
    cert, key = self_signed(tmp_path)
    port = live_server(server_app, ssl_certfile=str(cert), ssl_keyfile=str(key))
    return port, cert


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_client_trusting_the_ca_gets_through(tls_port: tuple[int, Path]) -> None:
    port, cert = tls_port
    trust = ssl.create_default_context(cafile=str(cert))
    answer = httpx.get(f"https://127.0.0.1:{port}/health", verify=trust, timeout=10)
    assert answer.status_code == 200


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_client_refuses_an_untrusted_certificate(tls_port: tuple[int, Path]) -> None:
    port, _cert = tls_port
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://127.0.0.1:{port}/health", timeout=10)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_tls_older_than_1_2_is_refused(tls_port: tuple[int, Path]) -> None:
    port, cert = tls_port

    def client_up_to(version: ssl.TLSVersion) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(cert))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.maximum_version = version
        context.set_ciphers("ALL:@SECLEVEL=0")
        return context

    def handshake(context: ssl.SSLContext) -> str | None:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            return tls.version()

    assert handshake(client_up_to(ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"
    with pytest.raises(ssl.SSLError):
        handshake(client_up_to(ssl.TLSVersion.TLSv1_1))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_plain_http_to_the_tls_port_gets_nothing(tls_port: tuple[int, Path]) -> None:
    port, _cert = tls_port
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
