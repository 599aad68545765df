"""The web UI in a real browser: Shipyard's beside MLflow's, in one run (issue 19).

Debian's chromium, driven by Playwright from ``tests/tools/.venv-browser`` (through
``tests.ui.browser.run_in_browser``), loads each UI served on 127.0.0.1:

* Shipyard: ``shipyard ui`` over a workspace (embedded SQLite) holding ``--runs``
  (100,000) runs of one experiment, each with 10 params and 20 metrics. Ten of them
  have 1,000 steps of every metric (they are compared) and one has a metric of
  100,000 points; the others have one step (``write_runs``, 1,000 runs a
  transaction). Measured: the runs page ready from navigation; a filter typed in the
  filter box and Enter, and a click on a column header, until the new rows are
  painted; the run page until the 100,000-point metric's chart is painted (and all
  20 charts); the compare page of the 10 runs until its table and the charts on the
  first screen are painted (it draws the others as they scroll into view).
* MLflow: ``mlflow server`` (bench/.venv-peers, its defaults: 4 workers) on its own
  SQLite store holding ``--mlflow-runs`` (10,000) runs with the same params and
  metrics, written with ``MlflowClient`` (``create_run``, ``log_batch``,
  ``set_terminated``: it has no call writing several runs). Measured: its
  experiment's runs page (``#/experiments/ID/runs``) until the first run-name link
  of the runs grid (``.ag-row a[href*="/runs/"]``) is painted, beside Shipyard's
  runs page on a workspace of as many runs (the same workspace, before it grows).

Timing is done in the page: an init script's MutationObserver notes
``performance.now()`` when the awaited element appears (from the navigation's start
for a page load; from the Enter key or the click for a change), and the end is the
next frame after it (``requestAnimationFrame`` then a task: the frame painted).
Every load is a fresh tab of one browser profile (static files cached) after one
warm-up load; ``--reps`` (5) repetitions of each, reported as min / median (the
runs page's ready time at ``--runs`` is taken from each load before a filter or a
sort: four samples a repetition). The
Resource Timing entries of the API calls made in between say where the time went
(time with at least one API call in flight, the slowest call).

    .venv/bin/python bench/ui.py                 # 100,000 and 10,000 runs (~15-20 min)
    .venv/bin/python bench/ui.py --quick         # 2,000 and 1,000 runs, to try it
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    free_port,
    peer_bin,
    print_table,
    ratio,
    run_peer_python,
    stop,
    wait_up,
)

sys.path.insert(0, str(BENCH_DIR.parent))  # tests.ui: the browser harness and the server

from tests.ui.browser import run_in_browser, skip_reason
from tests.ui.livekit import serving

# The values of every run, the same in both tools: run i's param j and metric j.
VALUES = """
PARAMS, METRICS = 10, 20

def param(i, j):
    return f"v{(i * (2 * j + 3) + j) % 13}"

def metric(i, j):
    return ((i * 7919 + j * 104729) % 10007) / 10007
"""
_values: dict[str, Any] = {}
exec(VALUES, _values)  # the same source is the head of the MLflow script
PARAMS: int = _values["PARAMS"]
METRICS: int = _values["METRICS"]
param = _values["param"]
metric = _values["metric"]

EXPERIMENT = "bench"
HISTORY_POINTS = 100_000  # the long metric (m0) of one run
COMPARED, COMPARED_STEPS = 10, 1_000
CHUNK = 1_000  # runs per write_runs transaction
FLUSH = 20_000  # metric values per log_batch (the SDK's logger flushes as many)
BASE_MS = 1_765_000_000_000
FILTERS = {"param": "params.p3 = 'v7'", "metric": "metrics.m5 > 0.95"}
SORTS = {"metric": "metrics.m0", "name": "name"}
TARGET_MS = {"ready": 1000, "filter": 300, "sort": 300, "chart": 1000, "compare": 1500}

Row = list[object]

# -- filling the stores --------------------------------------------------------------


def shipyard_workspace(folder: Path) -> Any:
    """A git repository with an empty workspace (project ``bench``); its tracking backend."""
    from shipyard.context import open_context
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.tracking.backend import open_backend
    from shipyard.workspace.create import init_workspace

    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    init_workspace(folder, LOCAL_OWNER, project="bench")
    return open_backend(open_context(folder, env={}), owns_context=True)


def _logged_run(backend: Any, name: str, i: int, steps: dict[int, int]) -> str:
    """A finished run with the params of run ``i`` and metric j logged at ``steps[j]``
    steps (20,000 values a write, as the SDK's logger flushes)."""
    from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus

    run_id: str = backend.create_run(RunSpec(EXPERIMENT, name)).id
    params = [(run_id, f"p{j}", param(i, j)) for j in range(PARAMS)]
    rows = [
        (run_id, f"m{j}", metric(i + step, j) / (1 + step / 100), step, BASE_MS + 1000 * step)
        for j in range(METRICS)
        for step in range(steps.get(j, 1))
    ]
    for lo in range(0, len(rows), FLUSH):
        backend.log_batch(LogBatch(metrics=rows[lo : lo + FLUSH], params=params), None)
        params = []
    backend.end_run(run_id, RunStatus.FINISHED, Resources(1.0, 1.0))
    return run_id


def fill_special(backend: Any) -> tuple[str, list[str], float]:
    """The run with a 100,000-point metric and the 10 runs to compare (the first runs
    written: the oldest); their ids and the seconds taken."""
    start = time.perf_counter()
    long = {0: HISTORY_POINTS} | {j: 5 for j in range(1, METRICS)}
    history = _logged_run(backend, "history", 0, long)
    compared = [
        _logged_run(backend, f"compared {k}", k + 1, dict.fromkeys(range(METRICS), COMPARED_STEPS))
        for k in range(COMPARED)
    ]
    return history, compared, time.perf_counter() - start


def fill_plain(backend: Any, lo: int, hi: int) -> float:
    """Runs ``lo`` to ``hi`` (one step of each metric), ``CHUNK`` runs a transaction."""
    from shipyard.tracking.entities import Resources, RunOutcome, RunSpec, RunStart, RunStatus

    start = time.perf_counter()
    for first in range(lo, hi, CHUNK):
        backend.write_runs([], [
            RunStart(RunSpec(EXPERIMENT, f"run {i}"), RunOutcome(
                RunStatus.FINISHED, Resources(1.0, 1.0),
                params={f"p{j}": param(i, j) for j in range(PARAMS)},
                metrics={f"m{j}": metric(i, j) for j in range(METRICS)}))
            for i in range(first, min(hi, first + CHUNK))
        ])  # fmt: skip
    return time.perf_counter() - start


MLFLOW_FILL = (
    VALUES
    + r"""
import json, logging, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

folder, runs = sys.argv[1], int(sys.argv[2])
client = MlflowClient(tracking_uri=f"sqlite:///{folder}/mlflow.db")
experiment = client.create_experiment("bench")  # makes the schema: before the clock
start = time.perf_counter()
for i in range(runs):
    run_id = client.create_run(experiment, run_name=f"run {i}").info.run_id
    stamp = int(time.time() * 1000)
    client.log_batch(run_id,
                     metrics=[Metric(f"m{j}", metric(i, j), stamp, 0) for j in range(METRICS)],
                     params=[Param(f"p{j}", param(i, j)) for j in range(PARAMS)])
    client.set_terminated(run_id)
print(json.dumps({"experiment": experiment, "seconds": time.perf_counter() - start}))
"""
)


@contextmanager
def mlflow_server(folder: Path) -> Iterator[str]:
    """``mlflow server`` on ``folder/mlflow.db`` (its defaults otherwise); its URL."""
    port, log = free_port(), folder / "mlflow-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(peer_bin("mlflow")), "server", "--backend-store-uri",
             f"sqlite:///{folder / 'mlflow.db'}", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{url}/health", process, log)
        yield url
    finally:
        stop(process)


# -- the browser side --------------------------------------------------------------

# A context init script (run through the DevTools protocol: exempt from the page's CSP,
# which is not loosened): notes when each awaited element appears, and the frame after.
WATCH = r"""
(() => {
  performance.setResourceTimingBufferSize(10000);
  const drawn = "[data-testid=metric-chart] svg polyline, [data-testid=metric-chart] svg circle";
  const done = () => {
    const slots = document.querySelectorAll(".chart-slot");
    return slots.length > 0 && [...slots].every((s) => s.querySelector(drawn));
  };
  // The compare page draws its charts as they come into view: what is on screen.
  const onScreen = (e) => {
    const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  };
  const doneOnScreen = () => {
    const slots = [...document.querySelectorAll(".chart-slot")];
    return slots.length > 0 && slots.filter(onScreen).every((s) => s.querySelector(drawn));
  };
  const shown = (sel) => {
    const e = document.querySelector(sel);
    return !!e && e.checkVisibility();
  };
  const MARKS = {
    runs: [() => shown("[data-testid=run-row]"), "[data-testid=run-row]"],
    mlflow: [() => shown('.ag-row a[href*="/runs/"]'), '.ag-row a[href*="/runs/"]'],
    chart: [() => shown('[data-testid=metric-chart][data-metric="m0"] svg polyline'), "svg"],
    charts: [() => shown("[data-testid=run-name]") && done(), "[data-testid=metric-chart]"],
    compare: [() => shown("[data-testid=compare-table]") && doneOnScreen(),
              "[data-testid=metric-chart]"],
  };
  const b = (window.__bench = { dom: {}, paint: {}, count: {} });
  const check = () => {
    for (const [name, [test, counted]] of Object.entries(MARKS)) {
      if (name in b.dom || !test()) continue;
      b.dom[name] = performance.now();
      requestAnimationFrame(() => setTimeout(() => {
        b.paint[name] = performance.now();
        b.count[name] = document.querySelectorAll(counted).length;
      }, 0));
    }
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["class", "style", "hidden"],
  });
  // The API calls that ended between t0 and t1: how many, the time with at least one
  // in flight, when the first started, and the slowest.
  window.__benchApi = (t0, t1) => {
    const spans = performance.getEntriesByType("resource")
      .filter((e) => /\/(ajax-api|api)\/|\/ui\/session/.test(e.name))
      .filter((e) => e.startTime >= t0 - 1 && e.responseEnd <= t1 + 1)
      .map((e) => [e.startTime, e.responseEnd, e.name])
      .sort((x, y) => x[0] - y[0]);
    let busy = 0, end = -Infinity, slow = null;
    for (const s of spans) {
      if (s[1] > end) { busy += s[1] - Math.max(s[0], end); end = s[1]; }
      if (!slow || s[1] - s[0] > slow[1] - slow[0]) slow = s;
    }
    return { calls: spans.length, busy, first: spans.length ? spans[0][0] - t0 : null,
             slowest_ms: slow ? slow[1] - slow[0] : null, slowest: slow ? slow[2] : null };
  };
})();
"""

# Armed before a filter's Enter or a header's click: rows on the page now are old; the
# change is over when a new row has been painted.
ARM = r"""
() => {
  const table = document.querySelector("[data-testid=runs-table]");
  for (const tr of table.querySelectorAll("[data-testid=run-row]")) {
    tr.setAttribute("data-bench-old", "");
  }
  let t0 = null;
  const onKey = (e) => { if (e.key === "Enter" && t0 === null) t0 = performance.now(); };
  const onClick = () => { if (t0 === null) t0 = performance.now(); };
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("click", onClick, true);
  window.__benchChange = new Promise((resolve, reject) => {
    const mo = new MutationObserver(() => {
      const fresh = table.querySelector("[data-testid=run-row]:not([data-bench-old])");
      if (t0 === null || !fresh) return;
      mo.disconnect();
      clearTimeout(timer);
      document.removeEventListener("keydown", onKey, true);
      document.removeEventListener("click", onClick, true);
      const dom = performance.now();
      requestAnimationFrame(() => setTimeout(() => resolve({
        dom: dom - t0, paint: performance.now() - t0,
        count: table.querySelectorAll("[data-testid=run-row]").length,
        api: window.__benchApi(t0, dom),
      }), 0));
    });
    const timer = setTimeout(() => {
      mo.disconnect();
      reject(new Error("no new rows in 120 s"));
    }, 120000);
    mo.observe(table, { childList: true, subtree: true });
  });
}
"""

# On the compare page: scroll to the charts; over when every chart on screen is drawn.
SCROLL = r"""
async () => {
  const drawn = "[data-testid=metric-chart] svg polyline, [data-testid=metric-chart] svg circle";
  const onScreen = (e) => {
    const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  };
  const t0 = performance.now();
  document.querySelector(".charts").scrollIntoView();
  const dom = await new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error("charts not drawn in 120 s")), 120000);
    const check = () => {
      const slots = [...document.querySelectorAll(".chart-slot")].filter(onScreen);
      if (slots.length && slots.every((s) => s.querySelector(drawn))) {
        clearTimeout(limit);
        resolve(performance.now());
      } else {
        setTimeout(check, 5);
      }
    };
    check();
  });
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const shown = [...document.querySelectorAll(".chart-slot")].filter(onScreen).length;
  return { dom: dom - t0, paint: performance.now() - t0, count: shown,
           api: window.__benchApi(t0, dom) };
}
"""

# Runs in the browser venv through run_in_browser (``page``, ``report`` are given);
# ``SETUP`` (JSON) is put before it.
SCRIPT = r"""
import json
S = json.loads(SETUP)
context = page.context
context.add_init_script(S["watch"])
WAIT_MS = 120_000


def load(url, mark):
    tab = context.new_page()
    tab.goto(url)
    tab.wait_for_function(
        "(m) => m in ((window.__bench || {}).paint || {})", arg=mark, timeout=WAIT_MS)
    figures = tab.evaluate(
        "(m) => ({dom: __bench.dom[m], paint: __bench.paint[m], count: __bench.count[m],"
        " api: __benchApi(0, __bench.dom[m])})", mark)
    return tab, figures


def change(tab, act):
    tab.evaluate(S["arm"])
    act()
    return tab.evaluate("() => window.__benchChange")


def warm(url, mark):
    load(url, mark)[0].close()


samples = {}


def note(name, figures):
    samples.setdefault(name, []).append(figures)


shipyard = S.get("shipyard")
mlflow = S.get("mlflow")
if shipyard:
    page.goto(shipyard["enter"])  # the one-time link: the session cookie
    warm(shipyard["runs"], "runs")
if mlflow:
    warm(mlflow["runs"], "mlflow")
for rep in range(S["reps"]):
    if mlflow and shipyard and S["ready_only"]:  # both tools; alternate which goes first
        order = [("mlflow", mlflow), ("shipyard", shipyard)][:: 1 if rep % 2 else -1]
        for name, where in order:
            tab, figures = load(where["runs"], "mlflow" if name == "mlflow" else "runs")
            note(f"ready_{name}", figures)
            tab.close()
        continue
    for kind, text in S["filters"].items():
        tab, figures = load(shipyard["runs"], "runs")
        note("ready_shipyard", figures)
        box = tab.get_by_test_id("runs-filter")
        box.fill(text)
        note(f"filter_{kind}", change(tab, lambda: box.press("Enter")))
        tab.close()
    for kind, key in S["sorts"].items():
        tab, figures = load(shipyard["runs"], "runs")
        note("ready_shipyard", figures)
        header = tab.locator(f'[data-sort="{key}"]')
        note(f"sort_{kind}", change(tab, lambda: header.click()))
        tab.close()
    tab, figures = load(shipyard["run"], "charts")
    note("charts", figures)
    note("chart", tab.evaluate(
        "() => ({dom: __bench.dom.chart, paint: __bench.paint.chart, count: 1,"
        " api: __benchApi(0, __bench.dom.chart)})"))
    tab.close()
    tab, figures = load(shipyard["compare"], "compare")
    note("compare", figures)
    note("compare_charts", tab.evaluate(S["scroll"]))
    tab.close()
report("samples", samples)
"""


def browse(setup: dict[str, Any], base: str, folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Run SCRIPT in chromium with ``setup``; the samples it noted, by measure."""
    setup = {"watch": WATCH, "arm": ARM, "scroll": SCROLL, "reps": 5, "ready_only": False} | setup
    script = f"SETUP = {json.dumps(json.dumps(setup))}\n{SCRIPT}"
    result = run_in_browser(script, base_url=base, out_dir=folder / "shots", timeout=3600)
    errors = result.get("console_errors") or []
    if errors:
        print(f"  ({len(errors)} console errors in the browser; the first: {errors[0][:200]})")
    return result["samples"]  # type: ignore[no-any-return]


# -- the table ---------------------------------------------------------------------


def _median(samples: Sequence[dict[str, Any]], key: str = "paint") -> float:
    return statistics.median(s[key] for s in samples)


def _ms(samples: Sequence[dict[str, Any]]) -> str:
    """``min / median`` of the paint times, in ms."""
    return f"{min(s['paint'] for s in samples):,.0f} / {_median(samples):,.0f}"


def _target(samples: Sequence[dict[str, Any]], target: str) -> str:
    limit = TARGET_MS[target]
    return f"{'met' if _median(samples) <= limit else 'missed'} (≤ {limit:,} ms)"


def _where(name: str, samples: Sequence[dict[str, Any]]) -> str:
    """Where the median sample's time went: before the first API call, API calls in
    flight, the slowest call, the rest (JS and layout)."""
    mid = sorted(samples, key=lambda s: s["paint"])[len(samples) // 2]
    api = mid["api"]
    slow = (api["slowest"] or "").split("/", 3)[-1][:110]
    first = "-" if api["first"] is None else f"{api['first']:,.0f}"
    rest = mid["paint"] - api["busy"] - (api["first"] or 0)
    return (f"- {name}: {mid['paint']:,.0f} ms = first API call at {first} ms, API calls in "
            f"flight {api['busy']:,.0f} ms ({api['calls']} calls; slowest "
            f"{api['slowest_ms'] or 0:,.0f} ms: /{slow}), the rest {rest:,.0f} ms; "
            f"{mid['count']} rows/charts")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs in Shipyard's store")
    parser.add_argument("--mlflow-runs", type=int, default=10_000,
                        help="runs in MLflow's store (and Shipyard's first)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="2,000 and 1,000 runs, 3 repetitions")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each measure")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the stores go (default: the system's temp folder)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.mlflow_runs, args.reps = 2_000, 1_000, 3
    reason = skip_reason()
    if reason is not None:
        sys.exit(reason)
    small = min(args.mlflow_runs, args.runs)
    if small < COMPARED + 1:
        sys.exit(f"--mlflow-runs and --runs must be at least {COMPARED + 1}")
    folder = Path(tempfile.mkdtemp(prefix="shipyard-bench-ui-", dir=args.scratch))
    began = time.perf_counter()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        rows, notes = _run(args, folder, small)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print_table(["measure", "Shipyard", "MLflow", "Shipyard is / target met?"], rows)
    print()
    print("Times in ms, min / median of the repetitions; where the median's time went:")
    print("\n".join(notes))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nWhole run: {time.perf_counter() - began:,.0f} s; load average now {load}.")
    sys.stdout.flush()


def _run(args: argparse.Namespace, folder: Path, small: int) -> tuple[list[Row], list[str]]:
    ws, mlf = folder / "shipyard", folder / "mlflow"
    mlf.mkdir()
    print(f"Shipyard: the 11 runs with histories, then runs up to {small:,}…", flush=True)
    backend = shipyard_workspace(ws)
    history, compared, special_s = fill_special(backend)
    plain_s = fill_plain(backend, COMPARED + 1, small)
    values = HISTORY_POINTS + COMPARED * METRICS * COMPARED_STEPS
    print(f"  {special_s:.1f} s for the 11 runs ({values:,} metric values), "
          f"{plain_s:.1f} s for {small - COMPARED - 1:,} runs", flush=True)  # fmt: skip
    print(f"MLflow: {args.mlflow_runs:,} runs through MlflowClient (minutes)…", flush=True)
    filled = json.loads(run_peer_python(MLFLOW_FILL, str(mlf), str(args.mlflow_runs), timeout=7200))
    print(f"  {filled['seconds']:.1f} s", flush=True)

    print(f"Browser: runs page ready, MLflow and Shipyard at {small:,} runs…", flush=True)
    with mlflow_server(mlf) as mlflow_url, serving(ws, "ui", "--port", "0") as live:
        both = browse({
            "reps": args.reps, "ready_only": True,
            "mlflow": {"runs": f"{mlflow_url}/#/experiments/{filled['experiment']}/runs"},
            "shipyard": {"enter": live.url, "runs": f"{live.base}/#/runs"},
        }, live.base, folder)  # fmt: skip

    print(f"Shipyard: runs {small:,} to {args.runs:,}…", flush=True)
    more_s = fill_plain(backend, small, args.runs)
    backend.close()
    print(f"  {more_s:.1f} s", flush=True)
    print(f"Browser: Shipyard at {args.runs:,} runs…", flush=True)
    with serving(ws, "ui", "--port", "0") as live:
        big = browse({
            "reps": args.reps, "filters": FILTERS, "sorts": SORTS,
            "shipyard": {"enter": live.url, "runs": f"{live.base}/#/runs",
                         "run": f"{live.base}/#/runs/{history}",
                         "compare": f"{live.base}/#/compare?ids={','.join(compared)}"},
        }, live.base, folder)  # fmt: skip

    n, m = f"{args.runs:,}", f"{small:,}"
    ours_ms = 1000 * (plain_s + more_s) / (args.runs - COMPARED - 1)
    theirs_ms = 1000 * filled["seconds"] / args.mlflow_runs
    ready_small, ready_mlflow = both["ready_shipyard"], both["ready_mlflow"]
    rows: list[Row] = [
        [f"runs page ready, {m} runs (ms)", _ms(ready_small), _ms(ready_mlflow),
         ratio(_median(ready_small), _median(ready_mlflow), higher_is_better=False)],
        [f"runs page ready, {n} runs (ms)", _ms(big["ready_shipyard"]), "-",
         _target(big["ready_shipyard"], "ready")],
    ]  # fmt: skip
    for kind, text in FILTERS.items():
        got = big[f"filter_{kind}"]
        rows.append([f"filter `{text}`, Enter to rows painted, {n} runs (ms)",
                     _ms(got), "-", _target(got, "filter")])  # fmt: skip
    for kind, key in SORTS.items():
        got = big[f"sort_{kind}"]
        rows.append([f"sort by {key} (header click) to rows painted, {n} runs (ms)",
                     _ms(got), "-", _target(got, "sort")])  # fmt: skip
    rows += [
        [f"run page: the {HISTORY_POINTS:,}-point metric's chart painted (ms)", _ms(big["chart"]),
         "-", _target(big["chart"], "chart")],
        [f"  all {METRICS} charts of that run painted (ms)", _ms(big["charts"]), "-", "-"],
        [f"compare {COMPARED} runs: table and the charts on screen painted (ms)",
         _ms(big["compare"]),
         "-", _target(big["compare"], "compare")],
        ["  then scrolled to its charts, those on screen painted (ms)", _ms(big["compare_charts"]),
         "-", _target(big["compare_charts"], "compare")],
        ["ingest: ms per run (Shipyard write_runs, 1,000 a call; MLflow 3 calls a run)",
         f"{ours_ms:.2f}", f"{theirs_ms:.2f}", ratio(ours_ms, theirs_ms, higher_is_better=False)],
    ]  # fmt: skip
    notes = [
        _where(f"Shipyard runs page, {m} runs", ready_small),
        _where(f'MLflow runs page, {m} runs (awaited: .ag-row a[href*="/runs/"])', ready_mlflow),
        _where(f"Shipyard runs page, {n} runs", big["ready_shipyard"]),
    ]
    for name in (*(f"filter_{k}" for k in FILTERS), *(f"sort_{k}" for k in SORTS), "chart",
                 "charts", "compare", "compare_charts"):  # fmt: skip
        notes.append(_where(f"{name}, {n} runs", big[name]))
    return rows, notes


if __name__ == "__main__":
    main()
