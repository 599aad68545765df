"""Dataset versioning: ``shipyard data`` against DVC on the same data, in one run.

Run: .venv/bin/python bench/data_vs_dvc.py [--size-mib 1024] [--files 20000]

Each tool works in its own fresh git repository under one temporary folder,
with empty caches, through its command line (start-up time included, as a
user sees it). The adds run in ``--rounds`` (default 2) pairs of fresh
repositories, alternating which tool goes first, and the best time of each
tool is reported (the machine is shared: the minimum is the least disturbed
figure); the push runs once:

1. ``add`` of one random 1 GiB file;
2. ``add`` of a folder of 20,000 random 4 KiB files;
3. ``add`` again after overwriting 1 MiB in the middle of the 1 GiB file:
   time, and bytes the tool's cache grew by;
4. ``add`` again of the unchanged folder (the stat caches at work);
5. ``push`` of the 20,000 files to one moto S3 server started here (each tool
   under its own prefix of one bucket).

The input files are written once and copied into both repositories, so both
read them from the page cache alike, and every measured command starts after
a ``sync``: a tool that writes without fsync (DVC) would otherwise leave its
dirty pages to be flushed during the next tool's fsyncs. The machine is shared with other work:
read the ratios, and run it twice. DVC comes from bench/.venv-peers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import peer_bin, print_table, ratio, start_moto  # type: ignore[import-not-found]

MiB = 1024 * 1024
HERE = Path(__file__).resolve().parent
SHIPYARD = Path(sys.executable).parent / "shipyard"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one command (raises with its output if it fails)."""
    start = time.perf_counter()
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(map(str, args))} failed in {cwd}:\n{done.stdout.decode()[-2000:]}"
            f"{done.stderr.decode()[-4000:]}"
        )
    return took


def folder_bytes(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def make_inputs(where: Path, size: int, files: int) -> tuple[Path, Path]:
    big = where / "big.bin"
    with open(big, "wb") as handle:
        left = size
        while left:
            n = min(left, 64 * MiB)
            handle.write(os.urandom(n))
            left -= n
    small = where / "small"
    small.mkdir()
    for i in range(files):
        folder = small / f"{i // 1000:03d}"
        if i % 1000 == 0:
            folder.mkdir()
        (folder / f"{i:05d}.bin").write_bytes(os.urandom(4096))
    return big, small


def change_one_mib(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\x5a" * MiB)


def repo(root: Path, name: str, env: dict[str, str]) -> Path:
    path = root / name
    path.mkdir()
    run(["git", "init", "-q"], path, env)
    return path


def _fresh_repos(
    root: Path, n: int, dvc: Path, endpoint: str, env: dict[str, str], big: Path, small: Path
) -> tuple[Path, Path]:
    """New repositories (empty caches) for both tools, holding copies of the inputs."""
    d = repo(root, f"dvc-{n}", env)
    run([dvc, "init", "-q"], d, env)
    run([dvc, "remote", "add", "-d", "s3", f"s3://bench/dvc-{n}"], d, env)
    run([dvc, "remote", "modify", "s3", "endpointurl", endpoint], d, env)
    s = repo(root, f"shipyard-{n}", env)
    run([SHIPYARD, "init"], s, env)
    run([SHIPYARD, "remote", "add", "s3", f"s3://bench/shipyard-{n}",
         "--endpoint-url", endpoint], s, env)  # fmt: skip
    for where in (d, s):
        shutil.copyfile(big, where / "big.bin")
        shutil.copytree(small, where / "small")
    subprocess.run(["sync"], check=False)
    return d, s


def _round(tool: str, where: Path, dvc: Path, env: dict[str, str]) -> tuple[dict[str, float], int]:
    """One tool's adds in its fresh repository: times by step, and the cache's growth."""
    if tool == "dvc":
        cache = where / ".dvc" / "cache"

        def add(path: str) -> float:
            os.sync()  # nobody's dirty pages are flushed on the next one's time
            return run([dvc, "add", "-q", path], where, env)
    else:
        cache = where / ".shipyard" / "objects"

        def add(path: str) -> float:
            os.sync()
            return run([SHIPYARD, "data", "add", path], where, env)

    times = {"big": add("big.bin"), "small": add("small")}
    before = folder_bytes(cache)
    change_one_mib(where / "big.bin")
    times["changed"] = add("big.bin")
    grown = folder_bytes(cache) - before
    times["unchanged"] = add("small")
    return times, grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--tmp", type=Path, default=None, help="scratch folder (same disk)")
    parser.add_argument("--rounds", type=int, default=2, help="fresh repositories per tool")
    args = parser.parse_args()
    dvc = peer_bin("dvc")
    os.environ.update(FAKE_AWS)
    env = {**os.environ, **FAKE_AWS, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b",
           "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1"}  # fmt: skip
    env = {k: v for k, v in env.items() if not k.startswith("SHIPYARD_")}
    print(f"load average at start: {os.getloadavg()}", flush=True)
    server, endpoint = start_moto()
    rows: list[list[object]] = []
    try:
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="bench"
        )
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-data-", dir=args.tmp) as scratch:
            root = Path(scratch)
            inputs = root / "inputs"
            inputs.mkdir()
            print("writing the inputs…", flush=True)
            big, small = make_inputs(inputs, args.size_mib * MiB, args.files)

            best: dict[str, dict[str, float]] = {"dvc": {}, "shipyard": {}}
            grew: dict[str, int] = {}
            for n in range(1, args.rounds + 1):
                print(f"round {n} of {args.rounds}…", flush=True)
                d, s = _fresh_repos(root, n, dvc, endpoint, env, big, small)
                # Alternate who goes first, so a burst of load from elsewhere
                # does not always fall on the same tool.
                order = [("dvc", d), ("shipyard", s)]
                if n % 2 == 0:
                    order.reverse()
                for tool, where in order:
                    times, grown = _round(tool, where, dvc, env)
                    for key, value in times.items():
                        best[tool][key] = min(best[tool].get(key, value), value)
                    grew[tool] = grown
            size = args.size_mib * MiB
            labels = [
                ("big", f"add {args.size_mib} MiB file", "≥ 4×"),
                ("small", f"add {args.files:,} × 4 KiB files", "≥ 3×"),
                ("changed", "re-add after 1 MiB change", ""),
            ]
            for key, label, target in labels:
                t_dvc, t_our = best["dvc"][key], best["shipyard"][key]
                rows.append([label, f"{t_dvc:.2f} s", f"{t_our:.2f} s",
                             ratio(t_our, t_dvc, higher_is_better=False), target])  # fmt: skip
            rows.append([
                "  bytes added to the cache",
                f"{grew['dvc'] / MiB:,.1f} MiB ({grew['dvc'] / size:.1%})",
                f"{grew['shipyard'] / MiB:,.2f} MiB ({grew['shipyard'] / size:.2%})",
                ratio(grew["shipyard"], grew["dvc"], higher_is_better=False), "< 1 % of the file",
            ])  # fmt: skip
            t_dvc, t_our = best["dvc"]["unchanged"], best["shipyard"]["unchanged"]
            rows.append([f"re-add unchanged {args.files:,} files", f"{t_dvc:.2f} s",
                         f"{t_our:.2f} s", ratio(t_our, t_dvc, higher_is_better=False),
                         ""])  # fmt: skip

            print(f"push of {args.files:,} files to S3 (moto)…", flush=True)
            os.sync()
            t_dvc = run([dvc, "push", "-q", "small.dvc"], d, env)
            os.sync()
            t_our = run([SHIPYARD, "data", "push", "small"], s, env)
            rows.append([f"push {args.files:,} files to S3", f"{t_dvc:.2f} s", f"{t_our:.2f} s",
                         ratio(t_our, t_dvc, higher_is_better=False), "≥ 10×"])  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"load average at end: {os.getloadavg()}\n")
    print_table(["measure", "DVC", "Shipyard", "Shipyard vs DVC", "target"], rows)


if __name__ == "__main__":
    main()
