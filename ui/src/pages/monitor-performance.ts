// A monitor's performance against its training baseline over its recent results: per
// metric a sparkline with the baseline and the limit it may decay to (both from the
// newest result's gauges), the newest value, and whether it has decayed.

import { h, table, type Child } from "../dom";
import { num } from "../format";
import { sparkline } from "../sparkline";
import type { MonitorGauges, MonitorStatus } from "../types";

function limitText(metric: string, gauges: MonitorGauges): string {
  const limit = gauges.limits?.[metric];
  if (typeof limit !== "number") return "–";
  return `${gauges.lower_is_better?.includes(metric) ? "at most" : "at least"} ${num(limit)}`;
}

function verdict(metric: string, gauges: MonitorGauges): Child {
  if (gauges.decayed?.includes(metric)) return h("span", { class: "verdict-drift" }, "decayed");
  if (typeof gauges.performance?.[metric] !== "number") return h("span", { class: "muted" }, "no value");
  return typeof gauges.limits?.[metric] === "number" ? "within the limit" : "no baseline";
}

/** The performance section of a monitor's card (null when no result has a metric or baseline). */
export function performanceOverTime(history: MonitorStatus[]): HTMLElement | null {
  const results = history.filter((r) => r.gauges);
  const newest = results.at(-1)?.gauges;
  if (!newest) return null;
  const names = new Set<string>(Object.keys(newest.baseline ?? {}));
  for (const r of results) for (const m of Object.keys(r.gauges?.performance ?? {})) names.add(m);
  if (!names.size) return null;
  const labelled = newest.performance && Object.keys(newest.performance).length ? null : h(
    "p",
    { class: "muted", "data-testid": "monitor-no-metrics" },
    "The newest result has no metrics: performance needs feedback labels joined to its predictions.",
  );
  return h(
    "div",
    {},
    h("h3", {}, "Performance against the baseline"),
    labelled,
    table(
      `Performance per metric over the last ${results.length} results, against the training baseline`,
      ["Metric", `Oldest to newest (${results.length} results)`, "Newest", "Baseline", "Allowed", "Verdict"],
      [...names].sort().map((metric) => {
        const values = results.map((r) => r.gauges?.performance?.[metric] ?? null);
        const baseline = newest.baseline?.[metric] ?? null;
        const limit = newest.limits?.[metric] ?? null;
        const guides = [
          ...(typeof baseline === "number" ? [{ value: baseline, cls: "sparkline-baseline" }] : []),
          ...(typeof limit === "number" ? [{ value: limit, cls: "sparkline-limit" }] : []),
        ];
        const label = `${metric} over the last ${results.length} results, with its baseline and limit`;
        return [
          h("code", {}, metric),
          sparkline(label, values, guides, false),
          num(newest.performance?.[metric] ?? null),
          num(baseline),
          limitText(metric, newest),
          verdict(metric, newest),
        ];
      }),
      { "data-testid": "monitor-performance" },
    ),
    h(
      "ul",
      { class: "legend", "aria-label": "Lines of the sparklines" },
      h("li", {}, h("span", { class: "swatch key-line" }), "the metric per result"),
      h("li", {}, h("span", { class: "swatch key-baseline" }), "training baseline"),
      h("li", {}, h("span", { class: "swatch key-limit" }), "limit (allowed decay)"),
    ),
  );
}
