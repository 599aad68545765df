"""Drift report: Shipyard vs Evidently's data-drift preset vs a plain scipy KS loop.

For each size (100,000 and 1,000,000 rows), a reference and a current Parquet
file of 20 numeric columns are written; 5 columns of the current one are
shifted (mean +0.5σ ×3, +0.25σ ×1, σ ×1.5 ×1). Each tool then runs in its own
subprocess, on the same files:

- Shipyard: ``shipyard.monitoring.drift(reference, current)`` — profiles the
  reference, streams the current data, runs the per-feature tests and the
  domain classifier; what ``shipyard monitor drift`` does;
- Evidently 0.7.23 (bench/.venv-peers): ``Report([DataDriftPreset()])`` on
  both files read with pandas (it picks normed Wasserstein above 1,000 rows);
- floor: ``scipy.stats.ks_2samp`` on every column of both files read with pandas.

Wall time is the whole subprocess (interpreter start, imports, reading, work);
"work" is measured inside it from the first import. Peak memory is the
child's own peak RSS (``VmHWM`` in /proc/self/status; getrusage's maxrss would
include the parent's size, which Linux carries across fork and exec). The drifted
columns each tool reports are compared with the columns that were shifted.

    .venv/bin/python bench/drift_vs_evidently.py [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import peer_bin, print_table, ratio

COLUMNS = 20
SHIFTED = {"c00": "mean", "c01": "mean", "c02": "mean", "c03": "half-mean", "c04": "scale"}

# The child's own peak RSS. Not getrusage's ru_maxrss: Linux carries the high-water
# mark of the forked parent across exec, so a child would report at least the
# parent's size; VmHWM belongs to the new address space.
PEAK = r"""
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

SHIPYARD = (
    PEAK
    + r"""
import json, sys, time
start = time.perf_counter()
from shipyard.monitoring import drift
report = drift(sys.argv[1], sys.argv[2])
data = report.to_dict()
print(json.dumps({
    "work": time.perf_counter() - start,
    "peak_kib": peak_kib(),
    "drifted": data["drifted"],
    "tests": sorted({f["test"] for f in data["features"]}),
    "auc": (data["multivariate"] or {}).get("roc_auc"),
}))
"""
)

EVIDENTLY = (
    PEAK
    + r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
start = time.perf_counter()
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
result = snapshot.dict()
drifted, tests = [], set()
for metric in result["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith(":ValueDrift"):
        method = config["method"]
        tests.add(method)
        value, threshold = metric["value"], config["threshold"]
        if (value < threshold) if "p_value" in method else (value >= threshold):
            drifted.append(config["column"])
print(json.dumps({
    "work": time.perf_counter() - start,
    "peak_kib": peak_kib(),
    "drifted": sorted(drifted),
    "tests": sorted(tests),
}))
"""
)

SCIPY_KS = (
    PEAK
    + r"""
import json, sys, time
start = time.perf_counter()
import pandas as pd
from scipy.stats import ks_2samp
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
drifted = [c for c in reference.columns if ks_2samp(reference[c], current[c]).pvalue < 0.05]
print(json.dumps({
    "work": time.perf_counter() - start,
    "peak_kib": peak_kib(),
    "drifted": drifted,
    "tests": ["ks"],
}))
"""
)


def write_data(folder: Path, rows: int) -> tuple[Path, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2024)
    means = rng.uniform(-50, 50, COLUMNS)
    stds = rng.uniform(0.5, 20, COLUMNS)
    ref, cur = {}, {}
    for i in range(COLUMNS):
        name = f"c{i:02d}"
        ref[name] = rng.normal(means[i], stds[i], rows)
        mean, std = means[i], stds[i]
        kind = SHIFTED.get(name)
        if kind == "mean":
            mean += 0.5 * std
        elif kind == "half-mean":
            mean += 0.25 * std
        elif kind == "scale":
            std *= 1.5
        cur[name] = rng.normal(mean, std, rows)
    paths = folder / f"reference_{rows}.parquet", folder / f"current_{rows}.parquet"
    pq.write_table(pa.table(ref), paths[0])
    pq.write_table(pa.table(cur), paths[1])
    return paths


def run(python: Path, code: str, *args: str) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", code, *args], capture_output=True, text=True, timeout=3600
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="row counts, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ours = Path(sys.executable)
    peers = peer_bin("python")
    expected = sorted(SHIFTED)
    folder = Path(tempfile.mkdtemp(prefix="shipyard-drift-bench-"))
    rows_out: list[list[object]] = []
    try:
        for size in sizes:
            ref, cur = write_data(folder, size)
            print(f"{size:,} rows × {COLUMNS} columns: data written, running…", file=sys.stderr)
            results = {
                "Shipyard": run(ours, SHIPYARD, str(ref), str(cur)),
                "Evidently 0.7.23": run(peers, EVIDENTLY, str(ref), str(cur)),
                "scipy ks_2samp loop": run(ours, SCIPY_KS, str(ref), str(cur)),
            }
            evidently = results["Evidently 0.7.23"]
            for name, result in results.items():
                drifted = result["drifted"]
                rows_out.append(
                    [
                        f"{size:,}",
                        name,
                        f"{result['wall']:.2f}",
                        f"{result['work']:.2f}",
                        f"{int(result['peak_kib']) / 1024:.0f}",
                        ratio(
                            float(result["wall"]), float(evidently["wall"]), higher_is_better=False
                        ),
                        ratio(
                            float(result["peak_kib"]),
                            float(evidently["peak_kib"]),
                            higher_is_better=False,
                        ),
                        "yes" if drifted == expected else f"no: {', '.join(drifted) or 'none'}",
                        ", ".join(result["tests"]),
                    ]
                )
            for path in (ref, cur):
                path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"Shifted columns: {', '.join(expected)}")
    print()
    print_table(
        [
            "rows",
            "tool",
            "wall s",
            "work s",
            "peak MiB",
            "time vs Evidently",
            "memory vs Evidently",
            "same drifted columns",
            "tests used",
        ],
        rows_out,
    )


if __name__ == "__main__":
    main()
