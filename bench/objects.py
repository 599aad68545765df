"""Object store benchmark: put speed against the practical limit, dedup, small-file push to S3.

Run: .venv/bin/python bench/objects.py [--size-mib 1024] [--files 20000] [--memory]

1. Put a random file (default 1 GiB) into a cold local store, against the time to
   read the same file and BLAKE3-hash it (the practical limit of any content-addressed
   put: it must at least read and hash every byte). Target: within 1.5×.
2. Change 1 MiB in the middle of that file and put it again: bytes added to the store.
   Target: < 1 % of the file.
3. Push 20,000 files of 4 KiB to a moto S3 server on 127.0.0.1: HTTP requests counted
   with a boto3 event hook on the destination's client, and the time. Target: ≤ 50.
4. With --memory: peak RSS of putting and getting a 4 GiB generated stream.

No peer runs here: DVC comparisons belong to the dataset benchmark (bench/data.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import blake3
from _common import print_table, start_moto, timed  # type: ignore[import-not-found]

from shipyard.objects import copy_objects, open_store
from shipyard.objects.backends.s3 import S3Backend

MiB = 1024 * 1024


def make_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        left = size
        while left:
            n = min(left, 64 * MiB)
            handle.write(os.urandom(n))
            left -= n


def practical_limit(path: Path) -> float:
    """Best of: a read loop feeding BLAKE3, and BLAKE3's own mmap reader (both multithreaded)."""

    def read_and_hash() -> None:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        buffer = bytearray(16 * MiB)
        view = memoryview(buffer)
        with open(path, "rb", buffering=0) as handle:
            while n := handle.readinto(buffer):
                hasher.update(view[:n])
        hasher.digest()

    def mmap_hash() -> None:
        blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(path).digest()

    return min(min(timed(read_and_hash), timed(mmap_hash)) for _ in range(3))


def durable_copy(src: Path, dest: Path) -> float:
    """Time to write the same bytes to a new file and fsync it: the disk's own limit."""

    def copy() -> None:
        with open(src, "rb") as reader, open(dest, "wb") as writer:
            shutil.copyfileobj(reader, writer, 16 * MiB)
            writer.flush()
            os.fsync(writer.fileno())

    took = timed(copy)
    dest.unlink()
    return took


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def bench_put_and_dedup(work: Path, size: int) -> list[list[object]]:
    src = work / "big.bin"
    make_random_file(src, size)
    limit = practical_limit(src)
    disk = durable_copy(src, work / "copy.bin")
    root = work / "store"
    store = open_store(root)
    start = time.perf_counter()
    ref = store.put_file(src)
    put = time.perf_counter() - start
    reput = timed(lambda: store.put_file(src))
    get = timed(lambda: store.get_file(ref.digest, work / "restored.bin"))
    (work / "restored.bin").unlink()

    before = store_bytes(root)
    with open(src, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(MiB))
    store.put_file(src)
    added = store_bytes(root) - before
    gib = size / (1024 * MiB)
    return [
        [
            f"put of a {gib:.2g} GiB file, cold store",
            f"{put:.2f} s",
            f"read + BLAKE3: {limit:.2f} s",
            f"{put / limit:.2f}× the limit (target ≤ 1.5×)",
        ],
        [
            "",
            "",
            f"copy + fsync: {disk:.2f} s",
            f"{put / max(limit, disk):.2f}× the slower of both",
        ],
        [
            "put again (all chunks known)",
            f"{reput:.2f} s",
            f"read + BLAKE3: {limit:.2f} s",
            f"{reput / limit:.2f}× the limit",
        ],
        [
            "get to a file (verified)",
            f"{get:.2f} s",
            f"read + BLAKE3: {limit:.2f} s",
            f"{get / limit:.2f}× the limit",
        ],
        [
            f"bytes added by a 1 MiB change in {gib:.2g} GiB",
            f"{added / MiB:.2f} MiB",
            "",
            f"{100 * added / size:.2f} % of the file (target < 1 %)",
        ],
    ]


def bench_small_files(work: Path, count: int) -> list[list[object]]:
    import boto3

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    files = work / "small"
    files.mkdir()
    paths = []
    for i in range(count):
        path = files / f"{i:05d}.bin"
        path.write_bytes(os.urandom(4096))
        paths.append(path)
    server, endpoint = start_moto()
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
        local = open_store(work / "small-store")
        start = time.perf_counter()
        refs = local.put_files(paths)
        put = time.perf_counter() - start
        requests = {"n": 0}

        def count_request(**_kwargs: object) -> None:
            requests["n"] += 1

        def counted_remote() -> object:
            backend = S3Backend("s3://bench/objects", endpoint_url=endpoint)
            backend.client.meta.events.register("before-send.s3", count_request)
            return open_store(backend)

        digests = [r.digest for r in refs]
        start = time.perf_counter()
        remote = counted_remote()  # opening (and creating) the remote counts too
        stats = copy_objects(local, remote, digests)
        push = time.perf_counter() - start
        push_requests = requests["n"]
        start = time.perf_counter()
        copy_objects(local, counted_remote(), digests)
        noop = time.perf_counter() - start
        noop_requests = requests["n"] - push_requests
        back = open_store(work / "pulled")
        before = requests["n"]
        start = time.perf_counter()
        copy_objects(counted_remote(), back, digests)
        pull = time.perf_counter() - start
        pull_requests = requests["n"] - before
    finally:
        server.terminate()
        server.wait()
    return [
        [f"put {count:,} × 4 KiB files (local store)", f"{put:.2f} s", "", ""],
        [
            "push them to S3 (moto)",
            f"{push:.2f} s",
            f"{push_requests} S3 requests",
            f"{stats.packs} packs (target ≤ 50 requests)",
        ],
        ["push again (nothing new)", f"{noop:.2f} s", f"{noop_requests} S3 requests", ""],
        ["pull them into a new store", f"{pull:.2f} s", f"{pull_requests} S3 requests", ""],
    ]


_MEMORY = """
import sys
from pathlib import Path
from shipyard.objects import open_store
import random
store = open_store(sys.argv[1])
class Generated:
    left = int(sys.argv[2])
    rnd = random.Random(0)
    def read(self, n):
        n = min(n, self.left, 1 << 20)
        self.left -= n
        return self.rnd.randbytes(n)
ref = store.put_stream(Generated())
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(ref.digest.hex, peak // 1024)
"""

_MEMORY_GET = """
import sys
from pathlib import Path
from shipyard.objects import Digest, open_store
store = open_store(sys.argv[1])
store.get_file(Digest(sys.argv[2]), Path(sys.argv[3]))
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(peak // 1024)
"""


def bench_memory(work: Path) -> list[list[object]]:
    size = 4096 * MiB
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, str(work / "mem-store"), str(size)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    digest, put_mib = out[0], int(out[1])
    get_mib = int(
        subprocess.run(
            [
                sys.executable,
                "-c",
                _MEMORY_GET,
                str(work / "mem-store"),
                digest,
                str(work / "mem.bin"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return [
        ["peak memory, put of a 4 GiB stream", f"{put_mib} MiB", "", "target < 256 MiB"],
        ["peak memory, get of it to a file", f"{get_mib} MiB", "", "target < 256 MiB"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--memory", action="store_true", help="also measure a 4 GiB stream")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shipyard-bench-objects-"))
    try:
        rows = bench_put_and_dedup(work, args.size_mib * MiB)
        rows += bench_small_files(work, args.files)
        if args.memory:
            rows += bench_memory(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nobjects benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
    print_table(["measure", "Shipyard", "reference", "verdict"], rows)


if __name__ == "__main__":
    main()
