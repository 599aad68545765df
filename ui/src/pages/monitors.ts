// Live monitors: the newest result of every monitor of the project
// (`GET /projects/{p}/monitors`): its state, the window it read, its breaches (what
// alerts fire on), drift per feature and its score over the monitor's recent results
// (`GET …/monitors/NAME/history`).

import { apiPath, get, pooled, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, table, type Child } from "../dom";
import { duration, num, time } from "../format";
import type { FeatureGauge, MonitorStatus } from "../types";
import { empty, scrollBox, section } from "../ui";

const STATES: Record<string, string> = {
  ok: "ok",
  breach: "breach",
  no_data: "no data",
  not_enough_data: "not enough data",
};

export function monitorBadge(status: string): HTMLElement {
  const cls = status in STATES ? status.replaceAll("_", "-") : "other";
  return h(
    "span",
    { class: `status monitor-${cls}`, "data-testid": "monitor-status" },
    STATES[status] ?? status,
  );
}

function breachList(breaches: string[]): Child {
  if (!breaches.length) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "chips", "aria-label": "Breaches" },
    ...breaches.map((kind) =>
      h("li", {}, h("span", { class: "chip alert-chip" }, kind.replaceAll("_", " "))),
    ),
  );
}

function windowText(result: MonitorStatus): string {
  const start = Date.parse(result.window_start);
  const end = Date.parse(result.window_end);
  return Number.isNaN(start) || Number.isNaN(end) ? "–" : duration((end - start) / 1000);
}

function featureTable(features: Record<string, FeatureGauge>): HTMLElement {
  const names = Object.keys(features).sort();
  if (!names.length) return empty("No feature was tested.");
  return table(
    "Drift per feature",
    ["Feature", "Test", "Score", "Threshold", "Verdict"],
    names.map((name) => {
      const f = features[name] as FeatureGauge;
      const verdict =
        f.drifted === null
          ? h("span", { class: "muted" }, "not enough data")
          : f.drifted
            ? h("span", { class: "verdict-drift" }, "drift")
            : "no drift";
      return [h("code", {}, name), f.test, num(f.score), num(f.threshold), verdict];
    }),
    { "data-testid": "monitor-features" },
  );
}

const HISTORY = 30;
const SVG = "http://www.w3.org/2000/svg";

/** One feature's drift score over the monitor's results, with its threshold. */
function sparkline(feature: string, scores: (number | null)[], threshold: number | null): Element {
  const width = 160;
  const height = 36;
  const known = scores.filter((v): v is number => typeof v === "number");
  const top = Math.max(...known, threshold ?? 0, 1e-9);
  const x = (i: number): number => (scores.length < 2 ? width / 2 : (i / (scores.length - 1)) * width);
  const y = (v: number): number => height - 2 - (v / top) * (height - 4);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("role", "img");
  svg.setAttribute("class", "sparkline");
  const title = document.createElementNS(SVG, "title");
  title.textContent = `${feature}: drift score over the last ${scores.length} results`;
  svg.append(title);
  if (threshold !== null) {
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("x2", String(width));
    line.setAttribute("y1", String(y(threshold)));
    line.setAttribute("y2", String(y(threshold)));
    line.setAttribute("class", "sparkline-threshold");
    svg.append(line);
  }
  const points = scores
    .map((v, i) => (typeof v === "number" ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
    .filter((p): p is string => p !== null);
  const path = document.createElementNS(SVG, "polyline");
  path.setAttribute("points", points.join(" "));
  path.setAttribute("class", "sparkline-line");
  svg.append(path);
  return svg;
}

function driftOverTime(history: MonitorStatus[]): HTMLElement | null {
  const withFeatures = history.filter((r) => r.gauges?.features);
  const names = [...new Set(withFeatures.flatMap((r) => Object.keys(r.gauges?.features ?? {})))].sort();
  if (withFeatures.length < 2 || !names.length) return null;
  return h(
    "div",
    {},
    h("h3", {}, "Drift over time"),
    table(
      `Drift score per feature over the last ${withFeatures.length} results`,
      ["Feature", `Score, oldest to newest (${withFeatures.length} results)`, "Newest"],
      names.map((name) => {
        const scores = withFeatures.map((r) => r.gauges?.features?.[name]?.score ?? null);
        const last = withFeatures.at(-1)?.gauges?.features?.[name];
        return [h("code", {}, name), sparkline(name, scores, last?.threshold ?? null), num(last?.score ?? null)];
      }),
      { "data-testid": "monitor-drift-over-time" },
    ),
  );
}

function monitorCard(result: MonitorStatus, history: MonitorStatus[]): HTMLElement {
  const gauges = result.gauges ?? history.at(-1)?.gauges ?? null;
  const rows: [string, Child][] = [
    ["Model", result.model],
    ["State", monitorBadge(result.status)],
    ["Breaches", breachList(result.breaches ?? [])],
    ["Alerted", result.notified ? "yes: webhooks and triggers were told" : "no"],
    ["Window", h("span", {}, `${windowText(result)}, ending `, time(result.window_end))],
    ["Rows", `${num(result.rows)} (${num(result.labelled_rows)} labelled)`],
    ["Last run", time(result.created_at)],
    ["Interval", result.interval_s ? duration(result.interval_s) : "run by hand"],
  ];
  if (gauges && typeof gauges.share_drifted === "number") {
    rows.splice(3, 0, ["Drifted share", `${num(Math.round(gauges.share_drifted * 1000) / 10)} %`]);
  }
  const perf = Object.entries(gauges?.performance ?? {});
  return h(
    "article",
    { class: "panel monitor", "data-testid": "monitor-card", "aria-labelledby": `monitor-${result.id}` },
    h("h2", { id: `monitor-${result.id}` }, result.monitor),
    kvTable(`Monitor ${result.monitor}`, rows),
    gauges?.features
      ? h("div", {}, h("h3", {}, "Drift per feature"), featureTable(gauges.features))
      : h(
          "p",
          { class: "muted", "data-testid": "monitor-no-features" },
          "Drift per feature is not in this server's answer: ",
          h("code", {}, `shipyard monitor run ${result.monitor} --html report.html`),
          " writes the full report.",
        ),
    driftOverTime(history),
    perf.length
      ? h(
          "div",
          {},
          h("h3", {}, "Performance"),
          table(
            "Performance against training",
            ["Metric", "Window", "Baseline"],
            perf.map(([metric, value]) => [metric, num(value), num(gauges?.baseline?.[metric] ?? null)]),
          ),
        )
      : null,
  );
}

export async function monitorsPage(ctx: PageContext): Promise<void> {
  ctx.setTitle(`Monitoring · ${ctx.project}`);
  const answer = await get<{ monitors: MonitorStatus[] }>(
    apiPath("projects", ctx.project, "monitors"),
    ctx.signal,
  );
  const monitors = answer.monitors ?? [];
  if (!monitors.length) {
    replace(
      ctx.main,
      h("h1", {}, "Monitoring"),
      empty("No monitor has run in this project yet."),
      h(
        "p",
        { "data-testid": "monitors-empty" },
        "Run one over a served model's inference log with ",
        h("code", {}, "shipyard monitor run MODEL"),
        ", or on a schedule with ",
        h("code", {}, "shipyard monitor schedule"),
        ".",
      ),
    );
    return;
  }
  const histories = await pooled(monitors, 4, (m) =>
    get<{ results: MonitorStatus[] }>(
      withQuery(apiPath("projects", ctx.project, "monitors", m.monitor, "history"), { limit: HISTORY }),
      ctx.signal,
    )
      .then((answer) => answer.results ?? [])
      .catch(() => [] as MonitorStatus[]),
  );
  const breached = monitors.filter((m) => m.status === "breach").length;
  replace(
    ctx.main,
    h("h1", {}, "Monitoring"),
    h(
      "p",
      { class: "subtitle", "data-testid": "monitors-summary" },
      `${monitors.length} monitor${monitors.length === 1 ? "" : "s"}; `,
      breached ? h("strong", {}, `${breached} in breach`) : "none in breach",
      ". Each shows its newest result.",
    ),
    section(
      "Overview",
      scrollBox(
        "Monitors",
        table(
          "Newest result of every monitor",
          ["Monitor", "Model", "State", "Breaches", "Rows", "Last run"],
          monitors.map((m) => [
            h("strong", {}, m.monitor),
            m.model,
            monitorBadge(m.status),
            breachList(m.breaches ?? []),
            num(m.rows),
            time(m.created_at),
          ]),
          { "data-testid": "monitors-table" },
        ),
      ),
    ),
    ...monitors.map((m, i) => monitorCard(m, histories[i] ?? [])),
  );
}
