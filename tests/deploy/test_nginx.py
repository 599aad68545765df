"""deploy/nginx/shipyard.conf in Debian's real nginx, in front of two real replicas
on one PostgreSQL database: what a client of the proxy sees."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.core.settings import build_settings
from shipyard.objects.open import open_server_store
from shipyard.store import audit
from shipyard.store.db import Database
from tests.certs import make_ca
from tests.deploy.nginxkit import Nginx, Replica, nginx_binary, replicas, running_nginx
from tests.serverkit import PROJECT, Team, free_port, fresh_database, make_team

SHIPYARD = str(Path(sys.executable).parent / "shipyard")
BIG_MIB = 304
SDK_SCRIPT = """
import shipyard
with shipyard.start_run("through-nginx") as run:
    for step in range(50):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
print(run.id)
"""


@dataclass
class Front:
    nginx: Nginx
    replicas: list[Replica]
    team: Team
    database: Database
    ca: Path
    folder: Path

    def env(
        self, persona: str = "contributor", bundle: str | None = "SHIPYARD_CA_BUNDLE"
    ) -> dict[str, str]:
        """A client's environment: the proxy's URL, a token, the CA under ``bundle``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        env |= {"SHIPYARD_URI": self.nginx.url, "SHIPYARD_TOKEN": self.team.tokens[persona],
                "SHIPYARD_PROJECT": PROJECT, "HOME": str(self.folder / "home")}  # fmt: skip
        if bundle:
            env[bundle] = str(self.ca)
        return env

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, env=env, cwd=self.folder, capture_output=True, text=True, timeout=120, check=False
        )


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    nginx_binary()
    folder = tmp_path_factory.mktemp("nginx-front")
    ca = make_ca(folder)
    cert, key = ca.issue(folder, ("127.0.0.1", "localhost", "shipyard.example.com"))
    with fresh_database("postgresql", folder) as database:
        team = make_team(database)
        uri = database.url.render_as_string(hide_password=False)
        with (
            replicas(uri, folder / "objects", folder, 2) as servers,
            running_nginx(
                folder / "nginx", cert=cert, key=key, api=[r.address for r in servers]
            ) as nginx,
        ):
            yield Front(nginx, servers, team, database, ca.cert, folder)


def test_the_sdk_and_the_cli_work_through_the_proxy(front: Front) -> None:
    logged = front.run([sys.executable, "-c", SDK_SCRIPT], front.env())
    assert logged.returncode == 0, logged.stderr
    run_id = logged.stdout.strip().splitlines()[-1]
    # The name the code had first keeps working.
    documented = front.env(bundle="SHIPYARD_CLIENT_CA_BUNDLE")
    listed = front.run([SHIPYARD, "runs", "ls", "-e", "through-nginx"], documented)
    assert listed.returncode == 0, listed.stderr
    assert run_id[:8] in listed.stdout
    who = front.run([SHIPYARD, "whoami"], front.env())
    assert who.returncode == 0, who.stderr
    assert "contributor" in who.stdout


def test_an_untrusted_certificate_is_refused_in_one_line(front: Front) -> None:
    refused = front.run([SHIPYARD, "whoami"], front.env(bundle=None))
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr + refused.stdout
    said = (refused.stderr + refused.stdout).strip()
    assert "certificate" in said
    assert "SHIPYARD_CA_BUNDLE" in said
    assert "gave up" not in said  # refused at once, not retried


def test_https_speaks_http2_and_sends_hsts(front: Front) -> None:
    context = ssl.create_default_context(cafile=str(front.ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", front.nginx.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    answer = httpx.get(f"{front.nginx.url}/health", verify=context, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == "max-age=63072000"
    assert "server" not in answer.headers or "nginx/" not in answer.headers["server"]


def test_plain_http_is_redirected_to_https(front: Front) -> None:
    answer = httpx.get(f"http://127.0.0.1:{front.nginx.http_port}/api/v1/me?x=1", timeout=10)
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://127.0.0.1/api/v1/me?x=1"


def test_a_body_over_the_limit_is_refused_before_it_is_sent(front: Front) -> None:
    context = ssl.create_default_context(cafile=str(front.ca))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", front.nginx.https_port, context=context, timeout=10
    )
    try:
        connection.putrequest("PUT", f"/api/v1/projects/{PROJECT}/objects/upload")
        connection.putheader("Authorization", f"Bearer {front.team.tokens['contributor']}")
        connection.putheader("Content-Length", str(257 * 1024 * 1024))
        connection.endheaders()  # and not one byte of the body
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    assert answer.status == 413
    assert answer.getheader("content-type") == "application/json"
    assert b'"TooLarge"' in body
    assert b"256 MiB" in body


def _token_created_from(url: str, token: str, source_ip: str, **http: object) -> None:
    transport = httpx.HTTPTransport(local_address=source_ip, **http)  # type: ignore[arg-type]
    with httpx.Client(transport=transport, timeout=20) as client:
        answer = client.post(
            f"{url}/api/v1/tokens",
            json={"name": f"from-{source_ip}"},
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"},
        )
    assert answer.status_code == 201, answer.text


def _sources(database: Database, source_ip: str) -> list[str]:
    with database.read() as session:
        rows = audit.list_events(session, limit=500)
        return [row.source or "" for row in rows if (row.source or "").startswith(source_ip)]


def test_the_audit_log_records_the_client_address_and_no_spoofed_one(front: Front) -> None:
    token = front.team.tokens["contributor"]
    # Through nginx from 127.0.0.5: nginx replaces the client's X-Forwarded-For with
    # the address it saw, and the replica trusts it from nginx (127.0.0.1).
    trusted = ssl.create_default_context(cafile=str(front.ca))
    _token_created_from(front.nginx.url, token, "127.0.0.5", verify=trusted)
    # Straight to a replica from 127.0.0.6: not the proxy, so its header is ignored.
    _token_created_from(front.replicas[0].url, token, "127.0.0.6")
    assert len(_sources(front.database, "127.0.0.5 ")) == 1
    assert len(_sources(front.database, "127.0.0.6 ")) == 1
    assert _sources(front.database, "203.0.113.9") == []


@pytest.mark.slow
def test_a_large_object_streams_through_without_temporary_files(
    front: Front, tmp_path: Path
) -> None:
    front.nginx.forbid_temp_files()  # a body nginx would spool now fails the request
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for _ in range(BIG_MIB // 16):
            out.write(os.urandom(16 * 1024 * 1024))
    settings = build_settings(env={}, flags={
        "store.uri": front.nginx.url, "client.token": front.team.tokens["contributor"],
        "project.name": PROJECT, "client.ca_bundle": str(front.ca)})  # fmt: skip
    store = open_server_store(settings, front.nginx.url)
    try:
        ref = store.put_file(big)
        received = sum(len(piece) for piece in store.iter_content(ref.digest))  # verified
    finally:
        store.close()
    assert ref.size == received == BIG_MIB * 1024 * 1024
    assert "temporary file" not in front.nginx.error_log


@pytest.mark.slow
def test_model_serving_answers_under_its_own_name(tmp_path: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from shipyard.models import save_model

    features = np.arange(20.0).reshape(10, 2)
    model = tmp_path / "model"
    save_model(LinearRegression().fit(features, features.sum(1)), model,
               input_example=features[:2])  # fmt: skip
    ca = make_ca(tmp_path)
    cert, key = ca.issue(tmp_path, ("127.0.0.1", "shipyard.example.com", "models.example.com"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "PROMETHEUS"))}
    command = [SHIPYARD, "serve", f"churn={model}", "--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "serve.log").open("wb") as log:
        serving = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    api = f"127.0.0.1:{free_port()}"  # no team server: only serving answers here
    context = ssl.create_default_context(cafile=str(ca.cert))
    try:
        with (
            running_nginx(tmp_path / "nginx", cert=cert, key=key, api=[api],
                          models=f"127.0.0.1:{port}") as nginx,
            httpx.Client(base_url=nginx.url, verify=context, timeout=30) as client,
        ):  # fmt: skip
            models = {"headers": {"Host": "models.example.com"},
                      "extensions": {"sni_hostname": "models.example.com"}}  # fmt: skip
            _wait_until_ready(client, models, serving)
            body = {"inputs": [[1.0, 2.0]]}  # the model takes one tensor
            answer = client.post("/invocations", json=body, **models)  # type: ignore[arg-type]
            assert answer.status_code == 200, answer.text
            assert answer.json()["predictions"] == [[pytest.approx(3.0)]]  # 1 + 2
            assert answer.headers["strict-transport-security"] == "max-age=63072000"
            # The team server's name does not reach serving (its replica is down here).
            assert client.post("/invocations", json=body).status_code == 502
    finally:
        serving.send_signal(signal.SIGINT)
        serving.wait(timeout=30)


def _wait_until_ready(
    client: httpx.Client, models: dict[str, Any], serving: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 90
    while client.get("/v2/health/ready", **models).status_code != 200:
        assert serving.poll() is None, "shipyard serve exited"
        assert time.monotonic() < deadline, "shipyard serve did not become ready"
        time.sleep(0.2)
