// Runs side by side: a table of fields, params and metrics (rows whose values differ
// carry the class `diff`), parallel coordinates of params and metrics (for sweeps),
// and one overlaid chart per metric every run has (zooming reloads the range).

import { ApiError, apiPath, get, pooled, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, type Child } from "../dom";
import { cost, duration, metric, runSeconds, time } from "../format";
import { Chart, ChartControls, summaryPoints, type ChartPoint, type StepRange } from "../chart";
import { ParallelCoordinates } from "../parallel";
import type { RunDetail, Summary } from "../types";
import { empty, errorBox, section, statusBadge } from "../ui";
import { fetchRun } from "./run";

const MAX = 20;
const OVERLAY_BUCKETS = 120;

interface Row {
  group: string;
  label: string;
  /** The value compared for `diff` (null: absent). */
  values: (string | null)[];
  cells: Child[];
}

export async function comparePage(ctx: PageContext): Promise<void> {
  ctx.setTitle("Compare runs");
  const ids = [
    ...new Set(
      (ctx.query.get("ids") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length < 2 || ids.length > MAX) {
    replace(
      ctx.main,
      h("h1", {}, "Compare runs"),
      errorBox(
        new Error(`Choose between 2 and ${MAX} runs to compare (${ids.length} given).`),
        undefined,
        "Nothing to compare",
      ),
      h("p", {}, h("a", { href: "#/runs" }, "Select runs in the runs table")),
    );
    return;
  }
  const results = await pooled(ids, 6, async (id) => {
    try {
      return await fetchRun(id, ctx.signal);
    } catch (err) {
      if (err instanceof ApiError && (err.notFound || err.status === 422)) return err;
      throw err;
    }
  });
  const missing = results.filter((r): r is ApiError => r instanceof ApiError);
  const runs = results.filter((r): r is RunDetail => !(r instanceof ApiError));
  ctx.setTitle(`Compare ${runs.length} runs`);

  const controls = new ChartControls();
  const charts = h("div", { class: "charts" });
  const common = commonMetrics(runs);
  replace(
    ctx.main,
    h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " / compare"),
    h("h1", {}, `Compare ${runs.length} runs`),
    ...missing.map((err) => errorBox(err, "Run")),
    runs.length ? section("Side by side", compareTable(runs)) : null,
    runs.length > 1 ? parallelSection(runs) : null,
    runs.length > 1
      ? section(
          "Metric charts",
          common.length ? controls.element : null,
          common.length ? charts : empty("The runs have no metric in common."),
        )
      : null,
  );

  // Charts load as they come into view (and just before): ten runs with twenty metrics
  // would otherwise be two hundred history requests before the first screen is drawn.
  const queue: string[] = [];
  const slots = new Map<string, HTMLElement>();
  let loading = 0;
  const pump = (): void => {
    while (loading < 2 && queue.length && !ctx.signal.aborted) {
      const key = queue.shift() as string;
      loading += 1;
      void drawChart(key).finally(() => {
        loading -= 1;
        pump();
      });
    }
  };
  const drawChart = async (key: string): Promise<void> => {
    const slot = slots.get(key) as HTMLElement;
    try {
      const summaries = await pooled(runs, 4, (run) => fetchOverlay(run.id, key, ctx.signal));
      const series = runs.map((run, i) => ({
        label: labelOf(run, runs),
        points: summaryPoints(summaries[i]!),
      }));
      const reload = (range: StepRange): Promise<ChartPoint[][]> =>
        pooled(runs, 4, (run) => fetchOverlay(run.id, key, ctx.signal, range)).then((answers) =>
          answers.map(summaryPoints),
        );
      const chart = new Chart(key, series, controls.options, "metric-chart", reload);
      controls.add(chart);
      replace(slot, chart.element);
    } catch (err) {
      if (ctx.signal.aborted) return;
      replace(slot, h("p", { class: "chart-title" }, key), errorBox(err));
    }
  };
  const watcher = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        watcher.unobserve(entry.target);
        queue.push((entry.target as HTMLElement).dataset.metric as string);
      }
      pump();
    },
    { rootMargin: "200px" },
  );
  ctx.signal.addEventListener("abort", () => watcher.disconnect());
  for (const key of common) {
    const slot = h("div", { class: "chart-slot", "data-metric": key },
                   h("p", { class: "loading" }, `Loading ${key}…`));
    slots.set(key, slot);
    charts.append(slot);
    watcher.observe(slot);
  }
}

/**
 * Overlaid curves need fewer buckets than a run's own chart (and ten runs' worth);
 * a zoomed chart asks for the same number over its range.
 */
function fetchOverlay(id: string, key: string, signal: AbortSignal, range?: StepRange): Promise<Summary> {
  return get<Summary>(
    withQuery(apiPath("runs", id, "metric-history", "summary"), {
      key,
      buckets: OVERLAY_BUCKETS,
      start_step: range?.start,
      end_step: range?.end,
    }),
    signal,
  );
}

/** Params and latest metrics as parallel axes, one line per run (coloured as in the charts). */
function parallelSection(runs: RunDetail[]): HTMLElement {
  const plot = new ParallelCoordinates(
    runs.map((run) => ({
      id: run.id,
      label: labelOf(run, runs),
      params: run.params ?? {},
      metrics: run.metrics ?? {},
    })),
  );
  const el = section("Parallel coordinates", plot.element);
  el.setAttribute("data-testid", "parallel-coordinates");
  return el;
}

function commonMetrics(runs: RunDetail[]): string[] {
  if (!runs.length) return [];
  const [first, ...rest] = runs;
  return Object.keys(first!.metrics ?? {})
    .filter((k) => rest.every((r) => k in (r.metrics ?? {})))
    .sort();
}

/** A run's name, with its id when another compared run has the same name. */
function labelOf(run: RunDetail, runs: RunDetail[]): string {
  const name = run.name || run.id;
  const clash = runs.some((r) => r !== run && (r.name || r.id) === name);
  return clash ? `${name} (${run.id.slice(-6)})` : name;
}

function compareTable(runs: RunDetail[]): HTMLElement {
  const rows: Row[] = [];
  const add = (
    group: string,
    label: string,
    get: (r: RunDetail) => string | null,
    cell?: (r: RunDetail) => Child,
  ): void => {
    const values = runs.map(get);
    rows.push({ group, label, values, cells: runs.map((r, i) => (cell ? cell(r) : (values[i] ?? "–"))) });
  };
  add("Run", "Experiment", (r) => r.experiment);
  add(
    "Run",
    "Status",
    (r) => r.status,
    (r) => statusBadge(r.status),
  );
  add(
    "Run",
    "Started",
    (r) => r.start_time,
    (r) => time(r.start_time),
  );
  add("Run", "Duration", (r) => duration(runSeconds(r)));
  add("Run", "Cost", (r) => cost(r.cost));
  add("Run", "Created by", (r) => r.created_by);
  const keys = (pick: (r: RunDetail) => Record<string, unknown>): string[] =>
    [...new Set(runs.flatMap((r) => Object.keys(pick(r) ?? {})))].sort();
  for (const k of keys((r) => r.params)) add("Params", k, (r) => r.params?.[k] ?? null);
  for (const k of keys((r) => r.metrics))
    add("Metrics", k, (r) => (k in (r.metrics ?? {}) ? metric(r.metrics[k]) : null));
  for (const k of keys((r) => r.tags)) add("Tags", k, (r) => r.tags?.[k] ?? null);

  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, "Field"),
    ...runs.map((r) => h("th", { scope: "col" }, h("a", { href: route("runs", r.id) }, labelOf(r, runs)))),
  );
  const body = h("tbody");
  const frag = document.createDocumentFragment();
  let group = "";
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      frag.append(
        h("tr", { class: "group" }, h("th", { scope: "colgroup", colspan: runs.length + 1 }, group)),
      );
    }
    const differs = new Set(row.values).size > 1;
    frag.append(
      h(
        "tr",
        { class: differs ? "diff" : null, "data-field": `${row.group.toLowerCase()}.${row.label}` },
        h("th", { scope: "row" }, row.label),
        ...row.cells.map((c) => h("td", { class: differs ? "diff" : null }, c)),
      ),
    );
  }
  body.append(frag);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid compare", "data-testid": "compare-table" },
      h("caption", { class: "visually-hidden" }, "Compared runs: rows that differ are highlighted"),
      h("thead", {}, head),
      body,
    ),
    h(
      "p",
      { class: "legend-note" },
      h("span", { class: "diff-sample" }, "Highlighted"),
      " rows differ between runs.",
    ),
  );
}
