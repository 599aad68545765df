// The runs table: a filter (the CLI's query language), sortable columns, a column
// chooser for params and metrics, keyset paging (a button, and more rows when the
// end of the table scrolls into view; never every run at once), and selection
// for comparison.

import { ApiError, apiPath, get, isAbort, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, uid } from "../dom";
import { cost, duration, metric, runSeconds, time } from "../format";
import { fieldKey, parseOrdering, type Direction } from "../query";
import { metricStep, type Experiment, type Run, type RunPage } from "../types";
import { errorBox, statusBadge } from "../ui";

const PAGE_SIZE = 50;
const MAX_COMPARE = 20;

interface Column {
  label: string;
  sortKey: string | null;
  cell(run: Run): Node | string;
  numeric?: boolean;
}

interface Chosen {
  params: string[];
  metrics: string[];
}

const BASE_COLUMNS: Column[] = [
  {
    label: "Name",
    sortKey: "name",
    cell: (run) => h("a", { href: route("runs", run.id), class: "run-link" }, run.name || run.id),
  },
  { label: "Experiment", sortKey: null, cell: (run) => run.experiment },
  { label: "Status", sortKey: "status", cell: (run) => statusBadge(run.status) },
  { label: "Started", sortKey: "start_time", cell: (run) => time(run.start_time) },
  { label: "Duration", sortKey: "duration", cell: (run) => duration(runSeconds(run)), numeric: true },
  { label: "Cost", sortKey: "cost", cell: (run) => cost(run.cost), numeric: true },
  { label: "Created by", sortKey: "created_by", cell: (run) => run.created_by },
];

function columnsKey(project: string): string {
  return `shipyard.columns.${project}`;
}

function loadChosen(project: string): Chosen | null {
  try {
    const data = JSON.parse(localStorage.getItem(columnsKey(project)) ?? "null") as unknown;
    if (data && typeof data === "object") {
      const d = data as Partial<Chosen>;
      if (Array.isArray(d.params) && Array.isArray(d.metrics)) {
        return { params: d.params.map(String), metrics: d.metrics.map(String) };
      }
    }
  } catch {
    // a damaged entry: fall back to the defaults
  }
  return null;
}

/** The `n` keys most runs have (then by name): the columns shown before any choice. */
function common(runs: Run[], kind: "params" | "metrics", n: number): string[] {
  const counts = new Map<string, number>();
  for (const run of runs)
    for (const k of Object.keys(run[kind] ?? {})) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, n)
    .map(([k]) => k)
    .sort();
}

export async function runsPage(ctx: PageContext): Promise<void> {
  const { project, signal } = ctx;
  ctx.setTitle(`Runs · ${project}`);
  let filter = ctx.query.get("filter") ?? "";
  let order = ctx.query.get("order_by") ?? "";
  let experiment = ctx.query.get("experiment") ?? "";

  let rows: Run[] = [];
  let next: string | null = null;
  let loading = false;
  let generation = 0;
  const selected = new Set<string>();
  const paramKeys = new Set<string>();
  const metricKeys = new Set<string>();
  let chosen: Chosen | null = loadChosen(project);

  // The filter form.
  const filterId = uid("runs-filter");
  const filterErrorId = uid("runs-filter-error");
  const filterInput = h("input", {
    id: filterId,
    type: "search",
    class: "filter-input",
    spellcheck: "false",
    autocomplete: "off",
    placeholder: "metrics.accuracy > 0.9 and params.model = 'lr'",
    "aria-describedby": filterErrorId,
    "data-testid": "runs-filter",
  });
  filterInput.value = filter;
  const filterError = h("div", {
    id: filterErrorId,
    class: "filter-error",
    "data-testid": "runs-filter-error",
  });
  const experimentId = uid("experiment");
  const experimentSelect = h(
    "select",
    { id: experimentId, "data-testid": "runs-experiment" },
    h("option", { value: "" }, "All experiments"),
  );
  const filterForm = h(
    "form",
    { class: "filter-bar", role: "search" },
    h("p", { class: "field grow" }, h("label", { for: filterId }, "Filter"), filterInput),
    h("p", { class: "field" }, h("label", { for: experimentId }, "Experiment"), experimentSelect),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "Apply")),
  );
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    filter = filterInput.value.trim();
    void reload();
  });
  experimentSelect.addEventListener("change", () => {
    experiment = experimentSelect.value;
    void reload();
  });

  // The toolbar: column chooser, selection and compare.
  const chooser = h("details", { class: "column-chooser", "data-testid": "column-chooser" });
  const compareButton = h(
    "button",
    { type: "button", class: "primary", "data-testid": "compare-button" },
    "Compare",
  );
  const selectionText = h("span", { class: "selection", role: "status" });
  compareButton.addEventListener("click", () => {
    location.hash = `#/compare?ids=${[...selected].map(encodeURIComponent).join(",")}`;
  });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    chooser,
    h("span", { class: "spacer" }),
    selectionText,
    compareButton,
  );

  // The table and the paging controls.
  const thead = h("thead");
  const tbody = h("tbody");
  const runsTable = h(
    "table",
    { class: "grid runs", "data-testid": "runs-table" },
    h("caption", { class: "visually-hidden" }, `Runs of project ${project}`),
    thead,
    tbody,
  );
  const status = h("p", { class: "paging-status", role: "status", "data-testid": "runs-count" });
  const more = h("button", { type: "button", "data-testid": "load-more" }, "Load more");
  more.addEventListener("click", () => void loadMore());
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const failure = h("div");

  replace(
    ctx.main,
    h("h1", {}, "Runs"),
    filterForm,
    filterError,
    toolbar,
    failure,
    h("div", { class: "table-wrap" }, runsTable),
    h("div", { class: "paging" }, status, more),
    sentinel,
  );

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMore();
    },
    { rootMargin: "300px" },
  );
  observer.observe(sentinel);
  signal.addEventListener("abort", () => observer.disconnect());

  void get<Experiment[]>(apiPath("projects", project, "experiments"), signal).then(
    (experiments) => {
      for (const e of experiments) {
        const option = h("option", { value: e.name }, `${e.name} (${e.run_count})`);
        option.selected = e.name === experiment;
        experimentSelect.append(option);
      }
      if (experiment && !experiments.some((e) => e.name === experiment)) {
        experimentSelect.append(h("option", { value: experiment, selected: true }, experiment));
      }
    },
    () => undefined, // the list of runs still works without it
  );

  function columns(): Column[] {
    const c = chosen ?? { params: [], metrics: [] };
    return [
      ...BASE_COLUMNS,
      ...c.params.map<Column>((key) => ({
        label: key,
        sortKey: fieldKey("params", key),
        cell: (run) => run.params[key] ?? "",
      })),
      ...c.metrics.map<Column>((key) => ({
        label: key,
        sortKey: fieldKey("metrics", key),
        numeric: true,
        cell: (run) => {
          if (!(key in run.metrics)) return "";
          const step = metricStep(run, key);
          return step === null
            ? metric(run.metrics[key])
            : h("span", { title: `step ${step}` }, metric(run.metrics[key]));
        },
      })),
    ];
  }

  function drawHeader(): void {
    const current = parseOrdering(order);
    const row = h(
      "tr",
      {},
      h("th", { scope: "col", class: "select-col" }, h("span", { class: "visually-hidden" }, "Select")),
    );
    for (const col of columns()) {
      const th = h("th", { scope: "col", class: col.numeric ? "num" : null });
      if (col.sortKey) {
        const active = current?.key === col.sortKey ? current.direction : null;
        if (active) th.setAttribute("aria-sort", active === "asc" ? "ascending" : "descending");
        const button = h(
          "button",
          { type: "button", class: "sort", "data-sort": col.sortKey },
          col.label,
          h(
            "span",
            { class: "sort-mark", "aria-hidden": "true" },
            active === "asc" ? " ▲" : active === "desc" ? " ▼" : "",
          ),
        );
        const key = col.sortKey;
        button.addEventListener("click", () => {
          const direction: Direction =
            current?.key === key
              ? current.direction === "asc"
                ? "desc"
                : "asc"
              : key.startsWith("metrics.") || key === "start_time"
                ? "desc"
                : "asc";
          order = `${key} ${direction}`;
          void reload();
        });
        th.append(button);
      } else {
        th.append(col.label);
      }
      row.append(th);
    }
    replace(thead, row);
  }

  function buildRows(runs: Run[]): DocumentFragment {
    const cols = columns();
    const frag = document.createDocumentFragment();
    for (const run of runs) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "run-row";
      tr.dataset.runId = run.id;
      const id = `select-${run.id}`;
      const box = h("input", { type: "checkbox", id, class: "select-run", "data-testid": "run-select" });
      box.checked = selected.has(run.id);
      box.addEventListener("change", () => {
        if (box.checked) selected.add(run.id);
        else selected.delete(run.id);
        updateSelection();
      });
      const label = h("label", { for: id, class: "visually-hidden" }, `Select run ${run.name || run.id}`);
      const first = document.createElement("td");
      first.className = "select-col";
      first.append(box, label);
      tr.append(first);
      for (const col of cols) {
        const td = document.createElement("td");
        if (col.numeric) td.className = "num";
        td.append(col.cell(run));
        tr.append(td);
      }
      frag.append(tr);
    }
    return frag;
  }

  function updateSelection(): void {
    const n = selected.size;
    compareButton.disabled = n < 2 || n > MAX_COMPARE;
    selectionText.textContent =
      n === 0
        ? "Select 2 to 20 runs to compare"
        : n > MAX_COMPARE
          ? `${n} selected: compare at most ${MAX_COMPARE}`
          : `${n} selected`;
  }

  function drawChooser(): void {
    const c = chosen ?? { params: [], metrics: [] };
    const group = (title: string, keys: Set<string>, picked: string[], kind: keyof Chosen): HTMLElement => {
      const fieldset = h("fieldset", {}, h("legend", {}, title));
      const sorted = [...keys].sort();
      if (!sorted.length) fieldset.append(h("p", { class: "empty" }, "None in the loaded runs."));
      for (const key of sorted) {
        const id = uid(`col-${kind}`);
        const box = h("input", { type: "checkbox", id, "data-column": `${kind}.${key}` });
        box.checked = picked.includes(key);
        box.addEventListener("change", () => {
          const now = chosen ?? { params: [], metrics: [] };
          const list = now[kind].filter((k) => k !== key);
          if (box.checked) list.push(key);
          chosen = { ...now, [kind]: list };
          localStorage.setItem(columnsKey(project), JSON.stringify(chosen));
          redraw();
        });
        fieldset.append(h("span", { class: "check" }, box, h("label", { for: id }, key)));
      }
      return fieldset;
    };
    const open = chooser.open;
    replace(
      chooser,
      h("summary", {}, "Columns"),
      h(
        "div",
        { class: "chooser-body" },
        group("Params", paramKeys, c.params, "params"),
        group("Metrics", metricKeys, c.metrics, "metrics"),
      ),
    );
    chooser.open = open;
  }

  function redraw(): void {
    drawHeader();
    tbody.replaceChildren(buildRows(rows));
    drawChooser();
  }

  function noteKeys(runs: Run[]): boolean {
    const before = paramKeys.size + metricKeys.size;
    for (const run of runs) {
      for (const k of Object.keys(run.params ?? {})) paramKeys.add(k);
      for (const k of Object.keys(run.metrics ?? {})) metricKeys.add(k);
    }
    return paramKeys.size + metricKeys.size !== before;
  }

  function updateStatus(): void {
    const shown = `${rows.length} run${rows.length === 1 ? "" : "s"} shown`;
    status.textContent = next
      ? `${shown}; more to load`
      : rows.length
        ? `${shown}; that is all`
        : "No runs match.";
    more.hidden = next === null;
    more.disabled = loading;
  }

  function syncUrl(): void {
    const query = new URLSearchParams();
    if (filter) query.set("filter", filter);
    if (order) query.set("order_by", order);
    if (experiment) query.set("experiment", experiment);
    const text = query.toString();
    history.replaceState(null, "", text ? `#/runs?${text}` : "#/runs");
  }

  function showQueryError(err: ApiError): void {
    const position = typeof err.fields.position === "number" ? err.fields.position : null;
    const length = typeof err.fields.length === "number" ? err.fields.length : 1;
    const text = typeof err.fields.query === "string" ? err.fields.query : filter;
    const inOrder = text === order && text !== filter;
    filterInput.setAttribute("aria-invalid", inOrder ? "false" : "true");
    const parts: (Node | string)[] = [
      h("p", { class: "error-message" }, inOrder ? `Sort order: ${err.message}` : err.message),
    ];
    if (position !== null && text) {
      parts.push(
        h(
          "pre",
          { class: "caret", "aria-hidden": "true" },
          text + "\n" + " ".repeat(Math.max(0, position)) + "^".repeat(Math.max(1, length)),
        ),
      );
    }
    if (err.hint) parts.push(h("p", { class: "error-hint" }, err.hint));
    replace(filterError, h("div", { class: "error-box", role: "alert" }, ...parts));
  }

  async function fetchPage(token: string | null): Promise<RunPage> {
    return get<RunPage>(
      withQuery(apiPath("projects", project, "runs"), {
        filter,
        order_by: order,
        experiment,
        limit: PAGE_SIZE,
        page_token: token,
      }),
      signal,
    );
  }

  async function reload(): Promise<void> {
    generation += 1;
    const mine = generation;
    syncUrl();
    loading = true;
    rows = [];
    next = null;
    failure.replaceChildren();
    filterError.replaceChildren();
    filterInput.removeAttribute("aria-invalid");
    tbody.replaceChildren();
    status.textContent = "Loading…";
    more.hidden = true;
    try {
      const page = await fetchPage(null);
      if (mine !== generation) return;
      rows = page.runs;
      next = page.next_page_token;
      noteKeys(rows);
      if (chosen === null)
        chosen = { params: common(rows, "params", 3), metrics: common(rows, "metrics", 4) };
      redraw();
    } catch (err) {
      if (isAbort(err) || mine !== generation) return;
      if (err instanceof ApiError && err.type === "QuerySyntaxError") showQueryError(err);
      else failure.replaceChildren(errorBox(err));
      drawHeader();
    } finally {
      if (mine === generation) {
        loading = false;
        updateStatus();
      }
    }
    if (mine === generation) fillScreen();
  }

  async function loadMore(): Promise<void> {
    if (loading || next === null || signal.aborted) return;
    const mine = generation;
    loading = true;
    updateStatus();
    try {
      const page = await fetchPage(next);
      if (mine !== generation) return;
      rows = rows.concat(page.runs);
      next = page.next_page_token;
      if (noteKeys(page.runs)) drawChooser();
      tbody.append(buildRows(page.runs));
    } catch (err) {
      if (isAbort(err) || mine !== generation) return;
      failure.replaceChildren(errorBox(err));
      next = null;
    } finally {
      if (mine === generation) {
        loading = false;
        updateStatus();
      }
    }
    if (mine === generation) fillScreen();
  }

  /** The observer only reports changes: while the end stays in view, keep loading. */
  function fillScreen(): void {
    if (next === null || signal.aborted) return;
    const top = sentinel.getBoundingClientRect().top;
    if (top < window.innerHeight + 300) void loadMore();
  }

  updateSelection();
  drawChooser();
  await reload();
}
