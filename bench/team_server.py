"""Three team-server replicas behind nginx vs one, with the same clients.

Each configuration runs Debian's nginx with the shipped ``deploy/nginx/shipyard.conf``
(its certificate, ports and replica addresses swapped for local ones, TLS and
HTTP/2 kept) in front of ``shipyard server`` replicas (one worker each) sharing
one PostgreSQL database and one object store folder. ``--clients`` processes,
each using Shipyard's SDK over HTTPS, repeat a mixed workload for ``--seconds``:
start a run, log 20 metric values, set a tag, end it, then search the project's
newest runs. Figures come from nginx's own access log (every request it answered
in the window, its status and time), and the replicas' CPU seconds from ``/proc``:

* requests per second and the p50/p99 request time at the proxy,
* server CPU milliseconds per request (every replica process): with enough cores,
  three replicas can serve about 3× as many requests as one; with fewer, the
  cores run out first, and this cost says at how many requests per second.

    python bench/team_server.py [--clients 12] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from _common import free_port, print_table, ratio, stop, wait_up
from tracking_load import _tree_cpu, postgres_database

SHIPPED = Path(__file__).parents[1] / "deploy" / "nginx" / "shipyard.conf"
SHIPYARD = str(Path(sys.executable).parent / "shipyard")

CLIENT = r"""
import os, sys, time
import shipyard
go, seconds = sys.argv[1], float(sys.argv[2])
with shipyard.start_run("warm-up", "w"):
    pass
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
end, errors, loops = time.monotonic() + seconds, 0, 0
while time.monotonic() < end:
    try:
        with shipyard.start_run("mixed", f"r{loops}") as run:
            for step in range(20):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.set_tag("client", str(os.getpid()))
        shipyard.search_runs("mixed", max_results=10)
        loops += 1
    except Exception as exc:
        errors += 1
        print(str(exc)[:200], file=sys.stderr)
print(loops, errors)
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the clients trust it as their CA)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def _site(cert: Path, key: Path, replicas: list[int], port: int) -> str:
    """The shipped site with local values; every example value must still be there."""
    text = SHIPPED.read_text()
    line = "    server 127.0.0.1:{} max_fails=1 fail_timeout=10s;\n"
    example = "".join(line.format(p) for p in (8751, 8752, 8753))
    swaps = [
        ("/etc/ssl/shipyard/fullchain.pem", str(cert)),
        ("/etc/ssl/shipyard/privkey.pem", str(key)),
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 443 ssl", f"listen 127.0.0.1:{port} ssl"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        (example, "".join(line.format(p) for p in replicas)),
    ]
    for old, new in swaps:
        if old not in text:
            sys.exit(f"deploy/nginx/shipyard.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


@contextmanager
def nginx(folder: Path, replicas: list[int]) -> Iterator[tuple[int, Path, Path]]:
    """nginx in front of ``replicas``; yields its HTTPS port, CA bundle and access log."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        sys.exit("nginx is not installed (apt-get install nginx, or scripts/ensure-services)")
    cert, key = _certificate(folder)
    port = free_port()
    (folder / "site.conf").write_text(_site(cert, key, replicas, port))
    log = folder / "access.log"
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\nevents {{ worker_connections 1024; }}\nhttp {{\n"
        f"    log_format timing '$msec $status $request_time';\n"
        f"    access_log {log} timing;\n    client_body_temp_path {folder}/body;\n"
        f"    proxy_temp_path {folder}/proxy;\n    include {folder}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g",
         f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;"],
    )  # fmt: skip
    try:
        _wait_for_port(port, process, folder / "error.log")
        yield port, cert, log
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"nginx did not start: {log.read_text() if log.exists() else ''}")


def _replicas(
    stack: ExitStack, folder: Path, db: str, env: dict[str, str], count: int
) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    processes, ports = [], []
    for n in range(count):
        port, log = free_port(), folder / f"replica-{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [SHIPYARD, "server", "--db", db, "--store", str(folder / "objects"),
                 "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        stack.callback(stop, process)
        wait_up(f"http://127.0.0.1:{port}/health", process, log)
        processes.append(process)
        ports.append(port)
    return processes, ports


def _figures(log: Path, start: float, end: float) -> dict[str, float]:
    times, errors = [], 0
    for line in log.read_text().splitlines():
        stamp, status, took = line.split()
        if start <= float(stamp) <= end:
            times.append(float(took))
            errors += status.startswith("5")
    times.sort()
    count = len(times)
    p50, p99 = times[count // 2], times[int(count * 0.99)]
    return {"requests": count, "rps": count / (end - start), "errors": errors,
            "p50_ms": 1000 * p50, "p99_ms": 1000 * p99}  # fmt: skip


def _admin_token(db: str, env: dict[str, str]) -> str:
    def cli(*args: str) -> str:
        done = subprocess.run([SHIPYARD, "--uri", db, *args], env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout

    cli("db", "upgrade")
    cli("users", "add", "bench", "--role", "admin", "--no-password")
    return str(json.loads(cli("tokens", "create", "--user", "bench", "--json"))["token"])


def measure(replica_count: int, clients: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as db, ExitStack() as stack:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        token = _admin_token(db, env)
        processes, ports = _replicas(stack, folder, db, env, replica_count)
        (folder / "nginx").mkdir()
        port, cert, log = stack.enter_context(nginx(folder / "nginx", ports))
        client_env = env | {
            "SHIPYARD_URI": f"https://127.0.0.1:{port}",
            "SHIPYARD_TOKEN": token,
            "SHIPYARD_PROJECT": "bench",
            "SHIPYARD_CLIENT_CA_BUNDLE": str(cert),
        }
        go = folder / "go"
        procs = [subprocess.Popen([sys.executable, "-c", CLIENT, str(go), str(seconds)],
                                  env=client_env, stdout=subprocess.PIPE, text=True)
                 for _ in range(clients)]  # fmt: skip
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                sys.exit("a client did not start")
        cpu_before = sum(_tree_cpu(p.pid) for p in processes)
        start = time.time()
        go.touch()
        outputs = [proc.communicate(timeout=seconds + 300)[0] for proc in procs]
        end = time.time()
        cpu = sum(_tree_cpu(p.pid) for p in processes) - cpu_before
        failed = sum(int(out.split()[-1]) for out in outputs)
        figures = _figures(log, start, end)
        figures["cpu_ms_per_request"] = 1000 * cpu / max(figures["requests"], 1)
        figures["client_errors"] = failed
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.clients} client processes for {args.seconds:.0f} s "
          "each, through nginx over HTTPS (HTTP/1.1 keep-alive from the SDK)\n")  # fmt: skip
    one = measure(1, args.clients, args.seconds)
    three = measure(3, args.clients, args.seconds)
    rows = [
        [name, f"{f['rps']:.0f}", f"{f['p50_ms']:.1f}", f"{f['p99_ms']:.1f}",
         f"{f['cpu_ms_per_request']:.2f}", f"{f['errors']}/{f['client_errors']}"]
        for name, f in (("1 replica", one), ("3 replicas", three))
    ]  # fmt: skip
    print_table(["", "requests/s", "p50 ms", "p99 ms", "server CPU ms/request",
                 "5xx / client errors"], rows)  # fmt: skip
    faster = ratio(three["rps"], one["rps"], higher_is_better=True)
    p99 = ratio(three["p99_ms"], one["p99_ms"], higher_is_better=False)
    print(f"\n3 replicas vs 1: {faster} requests/s; p99 {p99}")
    cores = os.cpu_count() or 1
    print(f"at {one['cpu_ms_per_request']:.2f} ms of server CPU per request, {cores} cores "
          f"bound the servers at ~{1000 * cores / one['cpu_ms_per_request']:.0f} requests/s "
          "(before the clients, nginx and PostgreSQL take their share)")  # fmt: skip


if __name__ == "__main__":
    main()
