// Live monitors: the newest result of every monitor of the project
// (`GET /projects/{p}/monitors`): its state, the window it read, its breaches (what
// alerts fire on), drift per feature and its score over the monitor's recent results
// (`GET …/monitors/NAME/history`), performance against the training baseline, the
// alerts and the runs they triggered (`GET …/monitors/NAME/alerts`), and a link to the
// newest result's HTML report (`GET …/monitors/NAME/report`).

import { apiPath, get, pooled, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, table, type Child } from "../dom";
import { duration, num, time } from "../format";
import { sparkline } from "../sparkline";
import type { FeatureGauge, MonitorAlert, MonitorStatus } from "../types";
import { empty, scrollBox, section } from "../ui";
import { alertsSection, reportHref, reportLink } from "./monitor-alerts";
import { performanceOverTime } from "./monitor-performance";

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
const ALERTS = 20;

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
        const threshold = last?.threshold;
        const guides = typeof threshold === "number" ? [{ value: threshold, cls: "sparkline-threshold" }] : [];
        const label = `${name}: drift score over the last ${scores.length} results`;
        return [h("code", {}, name), sparkline(label, scores, guides), num(last?.score ?? null)];
      }),
      { "data-testid": "monitor-drift-over-time" },
    ),
  );
}

function monitorCard(project: string, result: MonitorStatus, history: MonitorStatus[], alerts: MonitorAlert[]): HTMLElement {
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
    [
      "Report",
      result.report_digest
        ? reportLink(reportHref(project, result.monitor, result.id), "Drift report", "monitor-report")
        : h("span", { class: "muted" }, "not stored"),
    ],
  ];
  if (gauges && typeof gauges.share_drifted === "number") {
    rows.splice(3, 0, ["Drifted share", `${num(Math.round(gauges.share_drifted * 1000) / 10)} %`]);
  }
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
    performanceOverTime(history),
    alertsSection(project, result.monitor, alerts),
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
  const read = <T>(m: MonitorStatus, what: string, limit: number): Promise<T> =>
    get<T>(withQuery(apiPath("projects", ctx.project, "monitors", m.monitor, what), { limit }), ctx.signal);
  const histories = await pooled(monitors, 4, (m) =>
    read<{ results: MonitorStatus[] }>(m, "history", HISTORY)
      .then((answer) => answer.results ?? [])
      .catch(() => [] as MonitorStatus[]),
  );
  const alerts = await pooled(monitors, 4, (m) =>
    read<{ alerts: MonitorAlert[] }>(m, "alerts", ALERTS)
      .then((answer) => answer.alerts ?? [])
      .catch(() => [] as MonitorAlert[]),
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
    ...monitors.map((m, i) => monitorCard(ctx.project, m, histories[i] ?? [], alerts[i] ?? [])),
  );
}
