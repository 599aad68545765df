"""A million-value history is read in bounded memory, through the SDK and the CLI.

The history is written as the SDK's logger writes it (batches of 20,000 values
through the service's batch writer: the same chunks, far faster than a million
``log_metric`` calls). Each read runs in a fresh process that reports its own
peak resident memory (``ru_maxrss``); before streaming, the SDK held 565 MiB
and ``runs history --json`` 1.4 GiB for this history.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.principal import LOCAL_OWNER
from shipyard.tracking.batching import FLUSH_AT
from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus
from shipyard.tracking.service import TrackingService
from shipyard.workspace.create import init_workspace

pytestmark = pytest.mark.slow

VALUES = 1_000_000
LIMIT_MIB = 200
SPECIAL = {123_456: math.nan, 654_321: math.inf}  # streamed like any other value


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("long-history")
    init_workspace(root, LOCAL_OWNER, project="mem")
    ctx = open_context(root, env={})
    service = TrackingService(ctx.db)
    run_id = service.create_run(LOCAL_OWNER, "mem", RunSpec("mem", "long")).id
    for start in range(0, VALUES, FLUSH_AT):
        rows = [
            (run_id, "loss", SPECIAL.get(i, 1.0 / (i + 1)), i, 1_700_000_000_000 + i)
            for i in range(start, min(VALUES, start + FLUSH_AT))
        ]
        service.log(LOCAL_OWNER, LogBatch(metrics=rows))
    service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(1.0, 1.0))
    ctx.close()
    return root, run_id


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}


def _mib(maxrss: int) -> float:
    return maxrss / (2**20 if sys.platform == "darwin" else 2**10)  # bytes there, KiB here


# Linux keeps a process's peak RSS across exec (the kernel takes over the peak of the
# memory it replaces: the parent's, after vfork), so a child of this big test process
# would start at pytest's peak. Each measured process is therefore started by a small
# wrapper, which reads that child's own peak as RUSAGE_CHILDREN.
MEASURE = """
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _measured(root: Path, out: Path, *command: str) -> float:
    """Run ``command`` in ``root`` with its output into ``out``; its peak RSS in MiB."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(out), *command], cwd=root,
                          env=_env(), capture_output=True, text=True, check=True)  # fmt: skip
    return _mib(int(done.stdout))


SDK_READ = """
import json, math, sys
import shipyard.runs as runs
from shipyard.context import open_context

ctx = open_context()
count, total, first, last = 0, 0.0, None, None
for page in runs.iter_metric_history(sys.argv[1], "loss", context=ctx):
    count += len(page)
    finite = page.values[(page.values == page.values) & (abs(page.values) != math.inf)]
    total += float(finite.sum())
    first = int(page.steps[0]) if first is None else first
    last = int(page.steps[-1])
summary = runs.metric_history_summary(sys.argv[1], "loss", 500, context=ctx)
print(json.dumps({"count": count, "total": total, "first": first, "last": last,
                  "buckets": len(summary.buckets), "summarised": summary.count}))
"""


def test_the_sdk_streams_a_million_values_in_bounded_memory(
    history: tuple[Path, str], tmp_path: Path
) -> None:
    root, run_id = history
    out = tmp_path / "report.json"
    peak = _measured(root, out, sys.executable, "-c", SDK_READ, run_id)
    report = json.loads(out.read_text())
    assert (report["count"], report["first"], report["last"]) == (VALUES, 0, VALUES - 1)
    expected = sum(1.0 / (i + 1) for i in range(VALUES) if i not in SPECIAL)
    assert report["total"] == pytest.approx(expected)
    assert (report["buckets"], report["summarised"]) == (500, VALUES)
    assert peak < LIMIT_MIB


CLI = (sys.executable, "-c", "from shipyard.cli.main import main; main()")


@pytest.mark.parametrize("output", ["--json", "--csv", "table"])
def test_the_cli_prints_a_million_values_in_bounded_memory(
    history: tuple[Path, str], tmp_path: Path, output: str
) -> None:
    root, run_id = history
    out = tmp_path / "out.txt"
    extra = [] if output == "table" else [output]
    peak = _measured(root, out, *CLI, "runs", "history", run_id, "loss", *extra)
    with out.open() as lines:
        head = [next(lines) for _ in range(3)]
        count = 3 + sum(1 for _ in lines)
    if output == "--json":
        assert count == VALUES + 2
        assert json.loads(head[1].rstrip(",\n")) == {
            "key": "loss", "value": 1.0, "step": 0, "timestamp_ms": 1_700_000_000_000
        }  # fmt: skip
    elif output == "--csv":
        assert count == VALUES + 1
        assert head[1] == "0,1.0,1700000000000\n"
    else:
        assert f"{VALUES:,} values, showing the first 10 and the last 10" in out.read_text()
    assert peak < LIMIT_MIB
