"""Debian's real nginx running deploy/nginx/shipyard.conf on free loopback ports.

The shipped file is rendered by replacing its example values (certificates,
ports, replica addresses) with the test's, each of which must be found in the
file, so the test breaks when the file changes shape rather than testing
something else. nginx runs in the foreground as a child process, with every
path of its own under one folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serverkit import free_port, start_server, stop_server

SHIPPED = Path(__file__).parents[2] / "deploy" / "nginx" / "shipyard.conf"
EXAMPLE_API = ("127.0.0.1:8751", "127.0.0.1:8752", "127.0.0.1:8753")
EXAMPLE_MODELS = "127.0.0.1:8080"
TEMP_FOLDERS = ("client_body_temp", "proxy_temp")


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else ""
    )
    if not found:
        pytest.skip("nginx is not installed (scripts/ensure-services installs it)")
    return found


@dataclass
class Nginx:
    folder: Path
    https_port: int
    http_port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def forbid_temp_files(self) -> None:
        """Put a plain file where nginx spools bodies: from now on, a request or an
        answer nginx would write to disk fails instead (root ignores modes, not this)."""
        for name in TEMP_FOLDERS:
            path = self.folder / name
            shutil.rmtree(path)
            path.write_bytes(b"")


def render(
    text: str,
    *,
    cert: Path,
    key: Path,
    api: Sequence[str],
    models: str,
    https_port: int,
    http_port: int,
) -> str:
    """The shipped config with the test's certificate, ports and upstreams."""

    def swap(old: str, new: str) -> None:
        nonlocal text
        assert old in text, f"deploy/nginx/shipyard.conf no longer contains {old!r}"
        text = text.replace(old, new)

    swap("/etc/ssl/shipyard/fullchain.pem", str(cert))
    swap("/etc/ssl/shipyard/privkey.pem", str(key))
    swap("    listen [::]:80;\n", "")  # the machine may have no IPv6
    swap("    listen [::]:443 ssl http2;\n", "")
    swap("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    swap("listen 80;", f"listen 127.0.0.1:{http_port};")
    example = "\n".join(f"    server {a} max_fails=1 fail_timeout=10s;" for a in EXAMPLE_API)
    replicas = "\n".join(f"    server {a} max_fails=1 fail_timeout=10s;" for a in api)
    swap(example, replicas)
    swap(f"server {EXAMPLE_MODELS} ", f"server {models} ")
    return text


@contextmanager
def running_nginx(
    folder: Path, *, cert: Path, key: Path, api: Sequence[str], models: str = ""
) -> Iterator[Nginx]:
    """nginx with the shipped config in front of the replicas at ``api`` (host:port)."""
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    https_port, http_port = free_port(), free_port()
    site = render(
        SHIPPED.read_text(), cert=cert, key=key, api=api,
        models=models or f"127.0.0.1:{free_port()}", https_port=https_port, http_port=http_port,
    )  # fmt: skip
    (folder / "shipyard.conf").write_text(site)
    temp = "".join(f"    {n}_path {folder / n};\n" for n in TEMP_FOLDERS)
    temp += "".join(f"    {n}_temp_path {folder / n};\n" for n in ("fastcgi", "uwsgi", "scgi"))
    user = "user root root;\n" if os.geteuid() == 0 else ""  # else workers run as nobody
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\nevents {{ worker_connections 512; }}\nhttp {{\n{temp}"
        f"    access_log {folder / 'access.log'};\n    include {folder / 'shipyard.conf'};\n}}\n"
    )
    globals_ = f"daemon off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'} info;"
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", globals_]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    with (folder / "stderr.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    nginx = Nginx(folder, https_port, http_port, process)
    try:
        _wait_for_port(https_port, process, folder)
        yield nginx
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: lets workers finish
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    log = (folder / "stderr.log").read_text(errors="replace")
    raise RuntimeError(f"nginx did not start: {log[-2000:]}")


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    url: str

    @property
    def address(self) -> str:
        return self.url.removeprefix("http://")


@contextmanager
def replicas(uri: str, objects: Path, folder: Path, count: int) -> Iterator[list[Replica]]:
    """``count`` ``shipyard server`` processes over one database and object folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    started: list[Replica] = []
    try:
        for n in range(count):
            args = ["--db", uri, "--store", str(objects)]
            process, url = start_server(args, env, folder / f"replica-{n}.log")
            started.append(Replica(process, url))
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                stop_server(replica.process)
