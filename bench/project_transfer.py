"""Moving a project: ``shipyard export`` and ``shipyard import`` at scale.

Builds one workspace project of ``--runs`` (10,000) runs holding ``--points``
(1,000,000) metric values between them (plus two params and a tag each) and
``--object-mib`` (1,024) MiB of artifacts in files of ``--file-mib`` (8) MiB
of random bytes, logged through the SDK. Then, each as a whole command in a
process of its own (start-up included), timed, with its peak resident memory
(``ru_maxrss`` of the child) and the rows it wrote (the workspace already
has the project's row, which the import fills):

* ``shipyard export`` of the project to an archive;
* ``shipyard import`` into a fresh workspace (SQLite) and, with
  ``--postgres URL`` (a server where databases can be created), into a new
  PostgreSQL database;
* the same import again (a no-op);
* with ``--postgres``, ``import`` into a team server over HTTP as its admin
  (``shipyard server`` on another new database; the server's peak RSS too).

MLflow has no export or import of an experiment (the separate
``mlflow-export-import`` project is not part of MLflow), so there is no peer
to compare against; the figures stand alone.

    .venv/bin/python bench/project_transfer.py                          # full size
    .venv/bin/python bench/project_transfer.py --runs 500 --points 50000 --object-mib 64
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import print_table, start_shipyard_server, stop

SHIPYARD = Path(sys.executable).with_name("shipyard")
MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
took = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr.decode()[-2000:])
print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout.decode())
"""


def fill(root: Path, runs: int, points: int, object_mib: int, file_mib: int) -> None:
    """The project, logged the way a user's training code logs it."""
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.workspace.create import init_workspace

    init_workspace(root, LOCAL_OWNER, project="bench")
    os.chdir(root)
    import shipyard

    per_run = max(1, points // runs)
    files = max(0, object_mib // file_mib)
    started = time.perf_counter()
    for i in range(runs):
        with shipyard.start_run(name=f"run-{i}") as run:
            run.log_params({"lr": 0.001 * (i % 10 + 1), "layers": i % 4})
            run.set_tag("sweep", f"s{i % 7}")
            for step in range(per_run):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            if i < files:
                artifact = root / f"weights-{i}.bin"
                artifact.write_bytes(os.urandom(file_mib << 20))
                run.log_artifact(artifact)
                artifact.unlink()
        if i and i % 1000 == 0:
            print(f"  {i:,} runs logged ({time.perf_counter() - started:.0f} s)", flush=True)


def measure(*args: str | Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and rows written or read of one ``--json`` command."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(SHIPYARD), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"shipyard {' '.join(map(str, args))} failed: {done.stderr}")
    first, answer = done.stdout.split("\n", 1)
    seconds, rss_kib = first.split()
    return float(seconds), int(rss_kib) / 1024, int(json.loads(answer)["rows"])


def postgres_database(server: str) -> str:
    """A new, empty database at the newest schema on ``server``; its URL."""
    from sqlalchemy import create_engine, text

    name = f"shipyard_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(f"{server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = f"{server.rstrip('/')}/{name}"
    subprocess.run([SHIPYARD, "--uri", url, "db", "upgrade"], check=True, capture_output=True)
    return url


def over_http(folder: Path, db: str, archive: Path) -> list[object]:
    """``import`` into a team server (its own PostgreSQL database) as its admin; the peak
    RSS is the client's, the server's follows in the step's name."""
    (folder / "server").mkdir()
    server, url, _env, token = start_shipyard_server(folder / "server", db)
    try:
        os.environ["SHIPYARD_TOKEN"] = token
        seconds, rss, rows = measure("--uri", url, "import", archive, "--json")
        peak = _peak_rss_mib(server.pid)
    finally:
        del os.environ["SHIPYARD_TOKEN"]
        stop(server)
    return [f"import into a team server over HTTP (server: {peak:.0f} MiB)", seconds, rss, rows]


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--object-mib", type=int, default=1024)
    parser.add_argument("--file-mib", type=int, default=8)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="a PostgreSQL server to import into too ('' to skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as tmp:
        folder = Path(tmp)
        source, target = folder / "source", folder / "target"
        for path in (source, target):
            path.mkdir()
            subprocess.run(["git", "init", "-q", str(path)], check=True)
        print(f"filling: {args.runs:,} runs, {args.points:,} points, {args.object_mib} MiB")
        started = time.perf_counter()
        fill(source, args.runs, args.points, args.object_mib, args.file_mib)
        print(f"  filled in {time.perf_counter() - started:.0f} s")
        archive = folder / "bench.tar"
        rows = [["export", *measure("-C", source, "export", "bench", "-o", archive, "--json")]]
        size = archive.stat().st_size / (1 << 20)
        from shipyard.core.principal import LOCAL_OWNER
        from shipyard.workspace.create import init_workspace

        init_workspace(target, LOCAL_OWNER, project="bench")
        rows.append(
            ["import (workspace, SQLite)", *measure("-C", target, "import", archive, "--json")]
        )
        rows.append(["import again (no-op)", *measure("-C", target, "import", archive, "--json")])
        if args.postgres:
            url = postgres_database(args.postgres)
            pg = ["-C", target, "--uri", url]
            objects = folder / "pg-objects"
            os.environ["SHIPYARD_OBJECTS_PATH"] = str(objects)
            rows.append(["import (PostgreSQL)", *measure(*pg, "import", archive, "--json")])
            rows.append(over_http(folder, postgres_database(args.postgres), archive))
        print(
            f"\n{args.runs:,} runs, {args.points:,} metric points, {args.object_mib} MiB of "
            f"objects; archive {size:,.0f} MiB\n"
        )
        print_table(
            ["step", "seconds", "peak RSS (MiB)", "rows"],
            [[name, f"{secs:.1f}", f"{rss:.0f}", f"{n:,}"] for name, secs, rss, n in rows],
        )


if __name__ == "__main__":
    main()
