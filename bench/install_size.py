"""Install size: Shipyard's base install beside its full install and beside MLflow's.

Each install goes into a fresh venv under a temporary folder (``pip install``
from this checkout, dependencies from the package index; nothing is installed
into .venv). Size is the disk usage of site-packages (pip and setuptools, which
every venv has, included); packages are the distributions pip lists, less pip
and setuptools. Start-up times are medians of CPU time (user + system, less
sensitive than wall time to a shared machine) and of wall time.

    .venv/bin/python bench/install_size.py [--no-mlflow] [--keep DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, ratio

ROOT = Path(__file__).resolve().parents[1]
TOOLING = {"pip", "setuptools", "wheel"}


@dataclass(frozen=True)
class Install:
    name: str
    size_mb: float
    packages: int
    seconds: float


def disk_mb(folder: Path) -> float:
    """Disk usage in MiB, as ``du -sm`` counts it (blocks, hard links once)."""
    seen: set[tuple[int, int]] = set()
    blocks = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                blocks += st.st_blocks
    return blocks * 512 / 2**20


def fresh_install(where: Path, name: str, *specs: str) -> tuple[Install, Path]:
    venv = where / name
    base_python = Path(sysconfig.get_config_var("BINDIR")) / "python3"
    subprocess.run([str(base_python), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    start = time.perf_counter()
    subprocess.run([python, "-m", "pip", "install", "-q", *specs], check=True)
    seconds = time.perf_counter() - start
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    packages = [p["name"] for p in json.loads(listed.stdout) if p["name"].lower() not in TOOLING]
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([python, "-c", purelib], capture_output=True, text=True, check=True)
    size = disk_mb(Path(site.stdout.strip()))
    return Install(name, size, len(packages), seconds), venv


def median_ms(command: list[str], runs: int) -> tuple[float, float]:
    """Median (CPU ms, wall ms) of ``command``, run ``runs`` times after one warm-up."""
    subprocess.run(command, capture_output=True, check=False)
    cpus, walls = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(cpus) * 1000, statistics.median(walls) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mlflow", action="store_true", help="Skip the MLflow installs.")
    parser.add_argument("--keep", type=Path, help="Make the venvs here and keep them.")
    parser.add_argument("--runs", type=int, default=15, help="Runs per start-up timing.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipyard-install-") as scratch:
        where = args.keep or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        base, base_venv = fresh_install(where, "shipyard-base", str(ROOT))
        full, full_venv = fresh_install(where, "shipyard-all", f"{ROOT}[all]")
        peers = []
        if not args.no_mlflow:
            peers.append(fresh_install(where, "mlflow", "mlflow")[0])
            peers.append(fresh_install(where, "mlflow-skinny", "mlflow-skinny")[0])
        rows = []
        for install in (base, full, *peers):
            row: list[object] = [install.name, f"{install.size_mb:,.0f}", install.packages]
            row += [
                f"{install.seconds:.0f} s",
                ratio(install.size_mb, base.size_mb, higher_is_better=True),
            ]
            rows.append(row)  # fmt: skip
        print_table(
            ["install", "site-packages MiB", "packages", "pip install", "size vs base"], rows
        )
        print()
        timings = []
        for label, venv in (("base", base_venv), ("all", full_venv)):
            shipyard, python = str(venv / "bin" / "shipyard"), str(venv / "bin" / "python")
            help_cpu, help_wall = median_ms([shipyard, "--help"], args.runs)
            imp_cpu, imp_wall = median_ms([python, "-c", "import shipyard"], args.runs)
            timings.append(
                [label, f"{help_cpu:.0f}", f"{help_wall:.0f}", f"{imp_cpu:.0f}", f"{imp_wall:.0f}"]
            )
        headers = ["install", "--help CPU ms", "--help wall ms", "import CPU ms", "import wall ms"]
        print_table(headers, timings)


if __name__ == "__main__":
    main()
