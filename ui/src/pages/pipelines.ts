// Pipeline runs: tracked runs tagged `shipyard.pipeline` (the pipeline's name), newest
// first, with why each started and how its steps ended (the run's `steps_*` metrics,
// written when it ends). Keyset paging from the runs search, as on the runs page.

import { apiPath, get, isAbort, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, uid } from "../dom";
import { duration, runSeconds, time } from "../format";
import { fieldKey } from "../query";
import { metricNumber, type Run, type RunPage } from "../types";
import { empty, errorBox, scrollBox, statusBadge } from "../ui";
import { schedulesSection } from "./schedules";

export const PIPELINE_TAG = "shipyard.pipeline";
export const TRIGGER_TAG = "shipyard.pipeline.trigger";
export const REFERENCE_TAG = "shipyard.pipeline.reference";
const PAGE_SIZE = 50;
/** The step states a pipeline run counts, in the order they are shown. */
export const STEP_STATES = ["finished", "cached", "kept", "failed", "skipped"] as const;

/** A value written as a query-language string ('it''s'). */
export function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** "2 finished · 1 cached": the non-zero step counts of a pipeline run (– if none yet). */
export function stepCounts(run: Run): HTMLElement | string {
  const parts: string[] = [];
  for (const state of STEP_STATES) {
    const n = metricNumber(run.metrics?.[`steps_${state}`]);
    if (n !== null && n > 0) parts.push(`${n} ${state}`);
  }
  if (!parts.length) return run.status === "running" ? "running" : "–";
  return h("span", { class: "step-counts" }, parts.join(" · "));
}

export async function pipelinesPage(ctx: PageContext): Promise<void> {
  const { project, signal } = ctx;
  ctx.setTitle(`Pipelines · ${project}`);
  let name = ctx.query.get("pipeline") ?? "";
  let next: string | null = null;
  let shown = 0;
  let generation = 0;

  const nameId = uid("pipeline-name");
  const nameInput = h("input", {
    id: nameId,
    type: "search",
    spellcheck: "false",
    autocomplete: "off",
    placeholder: "all pipelines",
    "data-testid": "pipelines-name",
  });
  nameInput.value = name;
  const form = h(
    "form",
    { class: "filter-bar", role: "search" },
    h("p", { class: "field" }, h("label", { for: nameId }, "Pipeline"), nameInput),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "Apply")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    name = nameInput.value.trim();
    history.replaceState(null, "", name ? `#/pipelines?pipeline=${encodeURIComponent(name)}` : "#/pipelines");
    void reload();
  });

  const tbody = h("tbody");
  const listTable = h(
    "table",
    { class: "grid runs", "data-testid": "pipelines-table" },
    h("caption", { class: "visually-hidden" }, `Pipeline runs of project ${project}`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Pipeline", "Status", "Started", "Duration", "Trigger", "Steps", "Run"].map((c) =>
          h("th", { scope: "col", class: c === "Duration" ? "num" : null }, c),
        ),
      ),
    ),
    tbody,
  );
  const body = h("div");
  const status = h("p", { class: "paging-status", role: "status", "data-testid": "pipelines-count" });
  const more = h("button", { type: "button", "data-testid": "load-more" }, "Load more");
  more.hidden = true;
  more.addEventListener("click", () => void load(next));

  const schedules = h("div", { "data-testid": "schedules" });
  replace(ctx.main, h("h1", {}, "Pipelines"), schedules, form, body, h("div", { class: "paging" }, status, more));
  void schedulesSection(project, signal).then((found) => {
    if (found && !signal.aborted) schedules.replaceChildren(found);
  });

  function filter(): string {
    const key = fieldKey("tags", PIPELINE_TAG);
    return name ? `${key} = ${quoted(name)}` : `${key} is not null`;
  }

  function row(run: Run): HTMLTableRowElement {
    const pipeline = run.tags?.[PIPELINE_TAG] || run.name || run.id;
    return h(
      "tr",
      { "data-testid": "pipeline-row", "data-run-id": run.id },
      h("td", {}, h("a", { href: route("pipelines", run.id), class: "run-link" }, pipeline)),
      h("td", {}, statusBadge(run.status)),
      h("td", {}, time(run.start_time)),
      h("td", { class: "num" }, duration(runSeconds(run))),
      h("td", {}, run.tags?.[TRIGGER_TAG] ?? "–"),
      h("td", {}, stepCounts(run)),
      h(
        "td",
        {},
        h("a", { href: route("runs", run.id), title: `Run ${run.id}` }, h("code", {}, run.id.slice(0, 10))),
      ),
    );
  }

  async function load(token: string | null): Promise<void> {
    const mine = generation;
    more.disabled = true;
    status.textContent = "Loading…";
    try {
      const page = await get<RunPage>(
        withQuery(apiPath("projects", project, "runs"), {
          filter: filter(),
          order_by: "start_time desc",
          limit: PAGE_SIZE,
          page_token: token,
        }),
        signal,
      );
      if (mine !== generation) return;
      next = page.next_page_token;
      shown += page.runs.length;
      const frag = document.createDocumentFragment();
      for (const run of page.runs) frag.append(row(run));
      tbody.append(frag);
      if (!shown) {
        replace(
          body,
          empty(name ? `No runs of a pipeline named ${name}.` : "No pipeline runs in this project yet."),
          h(
            "p",
            { "data-testid": "pipelines-empty" },
            "Run one with ",
            h("code", {}, "shipyard pipeline run flows:NAME"),
            "; a schedule or trigger (",
            h("code", {}, "shipyard scheduler"),
            ") starts them too.",
          ),
        );
      } else if (!listTable.isConnected) {
        replace(body, scrollBox("Pipeline runs", listTable));
      }
    } catch (err) {
      if (isAbort(err) || mine !== generation) return;
      next = null;
      body.append(errorBox(err));
    } finally {
      if (mine === generation) {
        more.hidden = next === null;
        more.disabled = false;
        status.textContent = shown
          ? `${shown} pipeline run${shown === 1 ? "" : "s"} shown${next ? "; more to load" : ""}`
          : "";
      }
    }
  }

  async function reload(): Promise<void> {
    generation += 1;
    next = null;
    shown = 0;
    tbody.replaceChildren();
    body.replaceChildren();
    await load(null);
  }

  await reload();
}
