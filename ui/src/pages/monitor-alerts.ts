// What a monitor's breaches set off (`GET …/monitors/NAME/alerts`): each webhook post
// (its host, never the URL) and each on_breach command with its outcome and the runs it
// started, linked to their pages; and the link to a result's HTML report, which the
// server serves sandboxed (it runs no script in this origin).

import { apiPath, withQuery } from "../api";
import { h, link, route, table, type Child } from "../dom";
import { duration, time } from "../format";
import type { MonitorAlert, TriggeredRun } from "../types";
import { empty } from "../ui";

/** The address of a result's report (the monitor's newest without `result`). */
export function reportHref(project: string, monitor: string, result?: string | null): string {
  return withQuery(apiPath("projects", project, "monitors", monitor, "report"), { result: result ?? null });
}

/** A link opening the report in a new tab. */
export function reportLink(href: string, text: string, testid: string): HTMLAnchorElement {
  return link(href, text, { target: "_blank", rel: "noopener noreferrer", "data-testid": testid });
}

function outcome(alert: MonitorAlert): Child {
  let text: string;
  if (alert.kind === "webhook") {
    if (alert.ok) text = `HTTP ${alert.status ?? "?"}`;
    else if (alert.attempts === null) text = `not sent: ${alert.error ?? "unknown"}`;
    else text = `failed after ${alert.attempts} ${alert.attempts === 1 ? "try" : "tries"}: ${alert.error ?? `HTTP ${alert.status}`}`;
  } else if (alert.timed_out) {
    text = alert.error ?? "killed: it ran over its timeout";
  } else if (alert.exit_code === null) {
    text = alert.error ?? "did not run";
  } else {
    text = `exit ${alert.exit_code} after ${duration(alert.seconds)}`;
  }
  return h("span", { class: alert.ok ? "alert-ok" : "alert-failed" }, text);
}

function runLink(run: TriggeredRun): HTMLElement {
  const short = run.id.slice(0, 8);
  return run.pipeline
    ? link(route("pipelines", run.id), `pipeline ${run.pipeline} (${short})`, { "data-testid": "triggered-run" })
    : link(route("runs", run.id), `${run.name || "run"} (${short})`, { "data-testid": "triggered-run" });
}

function runs(alert: MonitorAlert): Child {
  if (alert.kind !== "trigger") return h("span", { class: "muted" }, "–");
  if (!alert.runs.length) return h("span", { class: "muted" }, "none recorded");
  return h("ul", { class: "plain-list" }, ...alert.runs.map((r) => h("li", {}, runLink(r))));
}

/** The alerts section of a monitor's card. */
export function alertsSection(project: string, monitor: string, alerts: MonitorAlert[]): HTMLElement {
  return h(
    "div",
    {},
    h("h3", {}, "Alerts and triggered runs"),
    alerts.length
      ? table(
          `Webhook posts and triggered commands of monitor ${monitor}, newest first`,
          ["When", "Event", "Channel", "Outcome", "Runs started", "Result"],
          alerts.map((a) => [
            time(a.time),
            a.event === "resolved" ? "back to normal" : `breach: ${a.breaches.join(", ").replaceAll("_", " ") || "–"}`,
            h("span", {}, a.kind === "webhook" ? "webhook " : "command ", h("code", {}, a.channel)),
            outcome(a),
            runs(a),
            a.result ? reportLink(reportHref(project, monitor, a.result), "report", "alert-report") : "–",
          ]),
          { "data-testid": "monitor-alerts" },
        )
      : empty("No webhook was posted and no command was triggered yet."),
  );
}
