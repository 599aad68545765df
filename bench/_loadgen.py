"""A cheap HTTP/1.1 load generator: N keep-alive connections, one pre-encoded request.

``hey`` is not installed here (``apt-get install hey`` would do), and Python
clients such as httpx or aiohttp spend more CPU per request than the servers
being measured. This one writes the same pre-built bytes on each connection,
reads the status line, headers and ``Content-Length`` body with asyncio
streams on uvloop, and records each request's latency. It runs for a fixed
time and stops by itself; it only targets 127.0.0.1.

    python bench/_loadgen.py PORT PATH BODY_FILE CONCURRENCY SECONDS
    → prints one JSON line: {"requests", "errors", "seconds", "rps", "p50_ms", "p99_ms"}
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


def build_request(host: str, port: int, path: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _connection(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    try:
        while clock() < deadline:
            start = clock()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(clock() - start)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


async def run_load(
    port: int,
    path: str,
    body: bytes,
    concurrency: int,
    seconds: float,
    content_type: str = "application/json",
    host: str = "127.0.0.1",
) -> dict[str, float]:
    request = build_request(host, port, path, body, content_type)
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_connection(host, port, request, deadline, latencies, errors) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    count = len(latencies)

    def pct(q: float) -> float:
        return latencies[min(count - 1, int(q * count))] * 1000 if count else float("nan")

    return {
        "requests": count,
        "errors": len(errors),
        "seconds": round(elapsed, 3),
        "rps": round(count / elapsed, 1),
        "p50_ms": round(pct(0.50), 3),
        "p99_ms": round(pct(0.99), 3),
    }


def main() -> None:
    port, path, body_file, concurrency, seconds = sys.argv[1:6]
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - plain asyncio works too, a little slower
        pass
    with open(body_file, "rb") as f:
        body = f.read()
    result = asyncio.run(run_load(int(port), path, body, int(concurrency), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
