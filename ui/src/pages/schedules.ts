// What the scheduler will start and when (`GET /projects/{p}/pipelines/schedules`):
// each configured pipeline's cron, what it watches, the next tick, the newest
// triggers with the runs they started, and when the acting scheduler last passed.
// Ages are measured against the server's clock (its `now`), not the browser's.

import { apiPath, get } from "../api";
import { h, route, table, type Child } from "../dom";
import { duration, time } from "../format";
import { errorBox, section } from "../ui";

interface Trigger {
  source: string;
  point: string;
  state: string;
  reason: string;
  run_id: string | null;
  at: string | null;
}

interface Schedule {
  pipeline: string;
  reference: string;
  schedule: string | null;
  problem: string | null;
  catch_up: string;
  watches: { datasets?: string[]; monitors?: string[]; aliases?: string[] };
  next_tick: string | null;
  checked_at: string | null;
  interval_s: number | null;
  scheduler: string;
  triggers: Trigger[];
}

interface Schedules {
  now: string;
  schedules: Schedule[];
}

/** Seconds from `from` to `to` (ISO times), or null if either does not parse. */
function between(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  return Number.isNaN(a) || Number.isNaN(b) ? null : (b - a) / 1000;
}

function watches(s: Schedule): Child {
  const items: string[] = [
    ...(s.watches.datasets ?? []).map((n) => `dataset ${n}`),
    ...(s.watches.monitors ?? []).map((n) => `monitor ${n} breach`),
    ...(s.watches.aliases ?? []).map((n) => `alias ${n}`),
  ];
  if (!items.length) return h("span", { class: "muted" }, "–");
  return h("ul", { class: "chips", "aria-label": `What starts ${s.pipeline}` },
    ...items.map((text) => h("li", {}, h("span", { class: "chip" }, text))));
}

function cron(s: Schedule): Child {
  if (s.problem) return h("span", { class: "verdict-drift", "data-testid": "schedule-problem" }, s.problem);
  if (!s.schedule) return h("span", { class: "muted" }, "triggers only");
  return h("code", { title: `UTC; missed ticks: ${s.catch_up}` }, s.schedule);
}

function nextTick(s: Schedule, now: string): Child {
  if (!s.next_tick) return "–";
  const wait = between(now, s.next_tick);
  return h("span", { "data-testid": "schedule-next" }, time(s.next_tick),
    wait !== null && wait >= 0 ? h("span", { class: "muted" }, ` in ${duration(wait)}`) : null);
}

function lastStarted(s: Schedule): Child {
  const started = s.triggers.find((t) => t.run_id);
  if (!started?.run_id) return h("span", { class: "muted" }, "none yet");
  return h("span", {}, h("a", { href: route("pipelines", started.run_id) }, time(started.at)));
}

/** The acting scheduler and its last pass; "late" when it missed several passes. */
function heartbeat(s: Schedule, now: string): Child {
  const age = between(s.checked_at, now);
  const late = s.interval_s !== null && age !== null && age > Math.max(3 * s.interval_s, 120);
  return h(
    "span",
    { "data-testid": "schedule-heartbeat", class: late ? "verdict-drift" : null },
    late ? "late: " : "",
    age === null ? "–" : `last pass ${duration(Math.max(age, 0))} ago`,
    h("br"),
    h("span", { class: "muted" }, s.interval_s === null ? `${s.scheduler}, once (cron)` : `${s.scheduler}, every ${duration(s.interval_s)}`),
  );
}

function triggerTable(s: Schedule): HTMLElement {
  return h(
    "details",
    { class: "triggers", "data-pipeline": s.pipeline },
    h("summary", {}, `Newest triggers of ${s.pipeline} (${s.triggers.length})`),
    table(
      `Newest triggers of ${s.pipeline}`,
      ["When", "Source", "Point", "State", "Why", "Run"],
      s.triggers.map((t) => [
        time(t.at),
        t.source,
        h("code", {}, t.point),
        t.state,
        t.reason,
        t.run_id ? h("a", { href: route("pipelines", t.run_id) }, h("code", {}, t.run_id.slice(0, 10))) : "–",
      ]),
      { "data-testid": "schedule-triggers" },
    ),
  );
}

/** The "Schedules" section of the pipelines page (null when nothing is scheduled). */
export async function schedulesSection(project: string, signal: AbortSignal): Promise<HTMLElement | null> {
  let data: Schedules;
  try {
    data = await get<Schedules>(apiPath("projects", project, "pipelines", "schedules"), signal);
  } catch (err) {
    return section("Schedules", errorBox(err, "the schedules"));
  }
  if (!data.schedules.length) return null;
  return section(
    "Schedules",
    table(
      "Scheduled pipelines",
      ["Pipeline", "Schedule (UTC)", "Also started by", "Next tick", "Last started", "Scheduler"],
      data.schedules.map((s) => [
        h("a", { href: `#/pipelines?pipeline=${encodeURIComponent(s.pipeline)}`, title: s.reference }, s.pipeline),
        cron(s),
        watches(s),
        nextTick(s, data.now),
        lastStarted(s),
        heartbeat(s, data.now),
      ]),
      { "data-testid": "schedules-table" },
    ),
    ...data.schedules.filter((s) => s.triggers.length).map(triggerTable),
  );
}
