// One run: its summary, params, latest metrics, tags, inputs, output logs, artifacts, and a
// chart per metric drawn from the server's bucketed history (min–max band, line of
// each bucket's last value; log scale and EMA smoothing in the page).

import { ApiError, apiPath, get, pooled, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, route, table, type Child } from "../dom";
import { bytes, cost, duration, metric, num, runSeconds, shortDigest, time } from "../format";
import { Chart, ChartControls, summaryPoints, type ChartPoint } from "../chart";
import { metricStep, type FileEntry, type ModelVersion, type Run, type RunDetail, type Summary } from "../types";
import { artifactsTable } from "../preview";
import { logSection } from "../logs";
import { empty, errorBox, section, statusBadge } from "../ui";

export const BUCKETS = 500;
/** The shape of a run id (a ULID in Crockford base 32), as the API checks it. */
export const RUN_ID = /^[0-7][0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{5,25}$/;

/** The run of a detail answer (the run's fields, or `{run: …, inputs, …}`). */
export function detailOf(data: unknown): RunDetail {
  const d = data as Record<string, unknown>;
  if (d && typeof d.run === "object" && d.run !== null) {
    return { ...(d.run as Run), ...d, ...(d.run as Run) } as RunDetail;
  }
  return d as unknown as RunDetail;
}

export function fetchRun(id: string, signal: AbortSignal): Promise<RunDetail> {
  return get<unknown>(apiPath("runs", id), signal).then(detailOf);
}

export function fetchSummary(id: string, key: string, signal: AbortSignal): Promise<Summary> {
  return get<Summary>(
    withQuery(apiPath("runs", id, "metric-history", "summary"), { key, buckets: BUCKETS }),
    signal,
  );
}

export async function runPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0] as string;
  ctx.setTitle(`Run ${id}`);
  if (!RUN_ID.test(id)) {
    ctx.setTitle("Run not found");
    replace(
      ctx.main,
      h("h1", {}, "Run not found"),
      errorBox(new Error(`no run with id '${id}'`), undefined, "Not found"),
      backToRuns(),
    );
    return;
  }
  let run: RunDetail;
  try {
    run = await fetchRun(id, ctx.signal);
  } catch (err) {
    if (err instanceof ApiError && (err.notFound || err.status === 422)) {
      ctx.setTitle("Run not found");
      replace(ctx.main, h("h1", {}, "Run not found"), errorBox(err), backToRuns());
      return;
    }
    throw err;
  }
  ctx.setTitle(`${run.name || run.id} · Run`);

  const modelsOfRun = h("div", { "data-testid": "run-models" });
  const metricKeys = Object.keys(run.metrics ?? {}).sort();
  const controls = new ChartControls();
  const charts = h("div", { class: "charts" });

  replace(
    ctx.main,
    h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), " / ", run.experiment),
    h("h1", { "data-testid": "run-name" }, run.name || run.id),
    h("p", { class: "subtitle" }, statusBadge(run.status), " ", h("code", {}, run.id)),
    section("Summary", summary(run)),
    section("Params", paramsTable(run)),
    section("Metrics", metricsTable(run)),
    section(
      "Charts",
      metricKeys.length ? controls.element : null,
      metricKeys.length ? charts : empty("No metrics logged."),
    ),
    section("Tags", tagsTable(run.tags ?? {})),
    section("Inputs", filesTable("Inputs", run.inputs ?? [])),
    logSection(run.project || ctx.project, run.artifacts ?? [], ctx.signal),
    section("Artifacts", artifactsTable(run.project || ctx.project, run.artifacts ?? [], ctx.signal)),
    childrenSection(run),
    modelsOfRun,
    environmentSection(run),
  );
  void fillModels(modelsOfRun, run.project || ctx.project, run.id, ctx.signal);

  // One figure per metric, in name order, each filled when its history arrives.
  const slots = new Map<string, HTMLElement>();
  for (const key of metricKeys) {
    const slot = h("div", { class: "chart-slot" }, h("p", { class: "loading" }, `Loading ${key}…`));
    slots.set(key, slot);
    charts.append(slot);
  }
  await pooled(metricKeys, 4, async (key) => {
    const slot = slots.get(key) as HTMLElement;
    try {
      const data = await fetchSummary(run.id, key, ctx.signal);
      // A zoom asks the store for that step range, so detail appears as it narrows.
      const zoomed = (range: { start: number; end: number }): Promise<ChartPoint[][]> =>
        get<Summary>(
          withQuery(apiPath("runs", run.id, "metric-history", "summary"), {
            key,
            buckets: BUCKETS,
            start_step: range.start,
            end_step: range.end,
          }),
          ctx.signal,
        ).then((s) => [summaryPoints(s)]);
      const chart = new Chart(
        key,
        [{ label: run.name || run.id, points: summaryPoints(data) }],
        controls.options,
        "metric-chart",
        zoomed,
      );
      controls.add(chart);
      replace(slot, chart.element);
    } catch (err) {
      if (ctx.signal.aborted) return;
      replace(slot, h("p", { class: "chart-title" }, key), errorBox(err));
    }
  });
}

/** The model versions registered from this run, linked to their pages (and cards). */
async function fillModels(box: HTMLElement, project: string, id: string, signal: AbortSignal): Promise<void> {
  try {
    const versions = await get<ModelVersion[]>(withQuery(apiPath("projects", project, "model-versions"), { run_id: id }), signal);
    if (!versions.length) return;
    replace(
      box,
      section(
        "Models",
        table(
          "Model versions registered from this run",
          ["Model", "Version", "Flavor", "Signed", "Registered"],
          versions.map((v) => [
            h("a", { href: route("models", v.name) }, v.name),
            h("a", { href: route("models", v.name, "versions", v.version) }, `v${v.version}`),
            v.flavor ?? "–",
            v.signed ? "yes" : "no",
            time(v.created_at),
          ]),
          { "data-testid": "run-models-table" },
        ),
      ),
    );
  } catch (err) {
    if (!signal.aborted) replace(box, section("Models", errorBox(err, "Model versions")));
  }
}

function backToRuns(): HTMLElement {
  return h("p", {}, h("a", { href: "#/runs" }, "Back to the runs"));
}

function summary(run: RunDetail): HTMLElement {
  const rows: [string, Child][] = [
    ["Experiment", run.experiment],
    ["Status", statusBadge(run.status)],
    ["Started", time(run.start_time)],
    ["Ended", time(run.end_time)],
    ["Duration", duration(runSeconds(run))],
    ["Cost", cost(run.cost)],
    ["Created by", run.created_by],
    ["Parent", run.parent_id ? h("a", { href: route("runs", run.parent_id) }, run.parent_id) : "–"],
  ];
  if (run.command) rows.push(["Command", h("code", {}, run.command)]);
  if (run.exit_code !== undefined && run.exit_code !== null) rows.push(["Exit code", String(run.exit_code)]);
  if (run.host) rows.push(["Host", run.host]);
  if (run.git) {
    const git = run.git;
    const text = [
      git.commit ? git.commit.slice(0, 12) : "no commit",
      git.branch ? `on ${git.branch}` : "",
      git.dirty ? "(dirty)" : "",
    ]
      .filter(Boolean)
      .join(" ");
    rows.push(["Git", text]);
  }
  const res = run.resources ?? {};
  if (typeof res.cpu_seconds === "number") rows.push(["CPU time", duration(res.cpu_seconds)]);
  if (typeof res.peak_rss_bytes === "number") rows.push(["Peak memory", bytes(res.peak_rss_bytes)]);
  if (typeof res.gpu_seconds === "number" && res.gpu_seconds > 0)
    rows.push(["GPU time", duration(res.gpu_seconds)]);
  return kvTable("Run summary", rows, { "data-testid": "run-summary" });
}

function paramsTable(run: Run): HTMLElement {
  const keys = Object.keys(run.params ?? {}).sort();
  if (!keys.length) return empty("No params.");
  return table(
    "Params",
    ["Param", "Value"],
    keys.map((k) => [k, run.params[k] ?? ""]),
    { "data-testid": "run-params" },
  );
}

function metricsTable(run: Run): HTMLElement {
  const keys = Object.keys(run.metrics ?? {}).sort();
  if (!keys.length) return empty("No metrics.");
  return table(
    "Latest metrics",
    ["Metric", "Latest value", "Step"],
    keys.map((k) => {
      const step = metricStep(run, k);
      return [k, metric(run.metrics[k]), step === null ? "–" : num(step)];
    }),
    { "data-testid": "run-metrics" },
  );
}

export function tagsTable(tags: Record<string, string>): HTMLElement {
  const keys = Object.keys(tags).sort();
  if (!keys.length) return empty("No tags.");
  return table(
    "Tags",
    ["Tag", "Value"],
    keys.map((k) => [k, tags[k] ?? ""]),
    { "data-testid": "run-tags" },
  );
}

export function filesTable(caption: string, files: FileEntry[]): HTMLElement {
  if (!files.length) return empty(`No ${caption.toLowerCase()}.`);
  return table(
    caption,
    ["Path", "Size", "Digest"],
    files.map((f) => [h("code", {}, f.path), bytes(f.size), shortDigest(f.digest ?? f.blake3)]),
    { "data-testid": `files-${caption.toLowerCase()}` },
  );
}

function childrenSection(run: RunDetail): HTMLElement | null {
  const children = run.children ?? [];
  if (!children.length) return null;
  return section(
    "Child runs",
    h(
      "ul",
      { class: "plain" },
      ...children.map((c) => {
        // The API lists children as ids; older answers held {id, name}.
        const id = typeof c === "string" ? c : c.id;
        const name = typeof c === "string" ? c : c.name || c.id;
        return h("li", {}, h("a", { href: route("runs", id) }, name));
      }),
    ),
  );
}

function environmentSection(run: RunDetail): HTMLElement | null {
  const env = run.environment;
  if (!env) return null;
  const packages = Object.entries(env.packages ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const rows: [string, Child][] = [];
  if (env.python) rows.push(["Python", env.python]);
  if (env.platform) rows.push(["Platform", env.platform]);
  return section(
    "Environment",
    rows.length ? kvTable("Environment", rows) : null,
    packages.length
      ? h(
          "details",
          {},
          h("summary", {}, `${packages.length} packages`),
          table(
            "Packages",
            ["Package", "Version"],
            packages.map(([name, version]) => [name, version]),
          ),
        )
      : null,
  );
}
