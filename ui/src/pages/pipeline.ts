// One pipeline run: why it started, its parameters and step counts, the step graph
// (SVG boxes linked to each step's run, data edges between them) and the steps in
// the order they started. While the run is `running` the page asks again every 2 s.

import { ApiError, apiPath, get } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, route, table, type Child } from "../dom";
import { duration, runSeconds, time } from "../format";
import { fieldKey } from "../query";
import { startOrder, stepGraph, stepOf, type Step } from "../stepgraph";
import { metricNumber, type RunDetail, type RunPage } from "../types";
import { empty, errorBox, scrollBox, section, statusBadge } from "../ui";
import { fetchRun, RUN_ID } from "./run";
import { PIPELINE_TAG, quoted, REFERENCE_TAG, stepCounts, TRIGGER_TAG } from "./pipelines";

/** How often a running pipeline run is read again. */
const POLL_MS = 2000;

async function fetchSteps(run: RunDetail, signal: AbortSignal): Promise<Step[]> {
  const found: Step[] = [];
  let token: string | null = null;
  do {
    const query = new URLSearchParams({
      filter: `${fieldKey("tags", "shipyard.step")} is not null and parent_id = ${quoted(run.id)}`,
      order_by: "start_time asc",
      limit: "500",
    });
    if (run.experiment) query.set("experiment", run.experiment);
    if (token) query.set("page_token", token);
    const page: RunPage = await get<RunPage>(`${apiPath("projects", run.project, "runs")}?${query}`, signal);
    found.push(...page.runs.map(stepOf));
    token = page.next_page_token;
  } while (token);
  return startOrder(found);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        window.clearTimeout(timer);
        reject(new DOMException("left the page", "AbortError"));
      },
      { once: true },
    );
  });
}

export async function pipelinePage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0] as string;
  ctx.setTitle(`Pipeline run ${id}`);
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "#/pipelines" }, "Pipelines"));
  if (!RUN_ID.test(id)) {
    ctx.setTitle("Pipeline run not found");
    replace(
      ctx.main,
      crumbs,
      h("h1", {}, "Pipeline run not found"),
      errorBox(new Error(`no run with id '${id}'`), undefined, "Not found"),
    );
    return;
  }
  let run: RunDetail;
  try {
    run = await fetchRun(id, ctx.signal);
  } catch (err) {
    if (err instanceof ApiError && (err.notFound || err.status === 422)) {
      ctx.setTitle("Pipeline run not found");
      replace(ctx.main, crumbs, h("h1", {}, "Pipeline run not found"), errorBox(err));
      return;
    }
    throw err;
  }
  const pipeline = run.tags?.[PIPELINE_TAG];
  if (!pipeline) {
    ctx.setTitle("Not a pipeline run");
    replace(
      ctx.main,
      crumbs,
      h("h1", {}, "Not a pipeline run"),
      errorBox(new Error(`run ${run.id} is not tagged ${PIPELINE_TAG}`), undefined, "Not a pipeline run"),
      h("p", {}, h("a", { href: route("runs", run.id) }, "Open it as a run")),
    );
    return;
  }
  ctx.setTitle(`${pipeline} · Pipeline run`);

  const subtitle = h("p", { class: "subtitle" });
  const live = h("p", { class: "live", role: "status", "data-testid": "pipeline-live" });
  const summaryBox = h("div");
  const graphBox = h("div", { class: "graph-wrap" });
  const stepsBox = h("div");
  const failure = h("div");
  replace(
    ctx.main,
    h("p", { class: "crumbs" }, h("a", { href: "#/pipelines" }, "Pipelines"), " / ", pipeline),
    h("h1", { "data-testid": "pipeline-name" }, pipeline),
    subtitle,
    live,
    failure,
    section("Summary", summaryBox),
    section("Step graph", graphBox),
    section("Steps", stepsBox),
  );

  let steps = await fetchSteps(run, ctx.signal);
  draw(run, steps);
  while (run.status === "running") {
    await wait(POLL_MS, ctx.signal);
    try {
      run = await fetchRun(id, ctx.signal);
      steps = await fetchSteps(run, ctx.signal);
      failure.replaceChildren();
      draw(run, steps);
    } catch (err) {
      if (ctx.signal.aborted) return;
      replace(failure, errorBox(err, undefined, "Could not refresh"));
    }
  }

  function draw(current: RunDetail, list: Step[]): void {
    replace(subtitle, statusBadge(current.status), " ", h("code", {}, current.id));
    live.textContent = current.status === "running" ? "Running: this page updates every 2 seconds." : "";
    replace(summaryBox, summary(current));
    if (!list.length) {
      replace(
        graphBox,
        empty(current.status === "running" ? "No step has started yet." : "This run recorded no steps."),
      );
      replace(stepsBox, empty("No steps."));
      return;
    }
    const skipped = metricNumber(current.metrics?.steps_skipped) ?? 0;
    const kept = metricNumber(current.metrics?.steps_kept) ?? 0;
    const without: string[] = [];
    if (skipped) without.push(`${skipped} skipped (an upstream step failed)`);
    if (kept) without.push(`${kept} kept from the run it resumed`);
    replace(
      graphBox,
      without.length
        ? h(
            "p",
            { class: "muted", "data-testid": "steps-without-runs" },
            `Not drawn, having no run of their own: ${without.join("; ")}.`,
          )
        : null,
      stepGraph(list),
      h(
        "p",
        { class: "legend-note" },
        "Boxes are steps (by data depth, left to right); arrows are outputs passed as inputs. ",
        "Select a step to open its run and its log (step.log).",
      ),
    );
    replace(stepsBox, stepsTable(list));
  }
}

function summary(run: RunDetail): HTMLElement {
  const params = Object.entries(run.params ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const rows: [string, Child][] = [
    ["Pipeline", run.tags?.[PIPELINE_TAG] ?? "–"],
    ["Reference", run.tags?.[REFERENCE_TAG] ? h("code", {}, run.tags[REFERENCE_TAG] as string) : "–"],
    ["Trigger", run.tags?.[TRIGGER_TAG] ?? "–"],
    ["Status", statusBadge(run.status)],
    ["Started", time(run.start_time)],
    ["Ended", time(run.end_time)],
    ["Duration", duration(runSeconds(run))],
    ["Steps", stepCounts(run)],
    ["Parameters", params.length ? h("code", {}, params.map(([k, v]) => `${k}=${v}`).join(", ")) : "none"],
    ["Run", h("a", { href: route("runs", run.id) }, "Open as a run")],
  ];
  return kvTable("Pipeline run summary", rows, { "data-testid": "pipeline-summary" });
}

function stepsTable(steps: Step[]): HTMLElement {
  return scrollBox(
    "Steps",
    table(
      "Steps in the order they started",
      ["Step", "State", "Cache", "Attempts", "Duration", "Started", "Error"],
      steps.map((step) => [
        h("a", { href: route("runs", step.run.id), "data-testid": "step-link" }, step.node),
        statusBadge(step.state),
        step.cache ?? "–",
        step.attempts === null ? "–" : String(step.attempts),
        duration(step.seconds),
        time(step.run.start_time),
        step.error ? h("span", { class: "step-error" }, step.error) : "",
      ]),
      { "data-testid": "steps-table" },
    ),
  );
}
