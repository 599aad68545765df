// Two versions of a dataset compared (`#/datasets/NAME/diff?from=V1&to=V2`): files
// added, removed and modified; for a modified table, the columns added, removed and
// retyped, and each common column's figures before and after, the changed ones
// highlighted. Read from `GET /projects/{p}/datasets/diff`, which compares the stored
// profiles as `shipyard data diff` does.

import { ApiError, apiPath, get, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, type Child } from "../dom";
import { bytes, num } from "../format";
import type { DatasetColumnChange, DatasetDiff, DatasetFileDiff, DatasetVersion } from "../types";
import { errorBox, scrollBox, section } from "../ui";
import { compareForm } from "./datasets";
import { figure } from "./datasetversion";

const SHOWN: [string, string][] = [
  ["rows", "Rows"],
  ["nulls", "Nulls"],
  ["distinct", "Distinct"],
  ["mean", "Mean"],
  ["std", "Std"],
  ["min", "Min"],
  ["max", "Max"],
];

const VERSION = /^[1-9][0-9]{0,14}$/;

/** `before → after` when they differ (highlighted), else the one value. */
function changeCell(before: string, after: string, numeric = true): HTMLElement {
  const cls = numeric ? "num" : null;
  if (before === after) return h("td", { class: cls }, after);
  return h(
    "td",
    { class: `${cls ?? ""} diff`.trim(), "data-changed": "true" },
    h("del", {}, before),
    " → ",
    h("ins", {}, after),
  );
}

function pair(before: number | null, after: number | null, show: (n: number | null) => string): string {
  if (before === null && after === null) return "–";
  if (before === after || before === null || after === null) return show(after ?? before);
  return `${show(before)} → ${show(after)}`;
}

function schemaList(file: DatasetFileDiff): Child {
  const items = [
    ...file.columns_added.map((c) =>
      h("li", { class: "column-added", "data-testid": "column-added" }, "+ added ", h("code", {}, c)),
    ),
    ...file.columns_removed.map((c) =>
      h("li", { class: "column-removed", "data-testid": "column-removed" }, "− removed ", h("code", {}, c)),
    ),
    ...file.types_changed.map((t) =>
      h(
        "li",
        { class: "column-retyped", "data-testid": "column-retyped", "data-column": t.name },
        "~ ",
        h("code", {}, t.name),
        `: ${t.before} → ${t.after}`,
      ),
    ),
  ];
  if (!items.length) return null;
  return h(
    "div",
    {},
    h("h3", {}, "Schema"),
    h("ul", { class: "schema-changes", "data-testid": "schema-changes" }, ...items),
  );
}

function statsTable(file: DatasetFileDiff, from: number, to: number): HTMLElement {
  const body = h("tbody");
  for (const c of file.columns) {
    const stats = new Map(c.stats.map((s) => [s.stat, s]));
    body.append(
      h(
        "tr",
        { "data-testid": "diff-column", "data-column": c.name, class: c.changed ? "diff" : null },
        h("th", { scope: "row" }, h("code", {}, c.name)),
        changeCell(c.dtype_before, c.dtype_after, false),
        ...SHOWN.map(([key]) => {
          const s = stats.get(key);
          return s ? changeCell(figure(s.before), figure(s.after)) : h("td", { class: "num" }, "–");
        }),
      ),
    );
  }
  const heads = ["Column", "Type", ...SHOWN.map(([, label]) => label)];
  return scrollBox(
    `Column statistics of ${file.path}`,
    h(
      "table",
      { class: "grid compare-columns", "data-testid": "diff-columns" },
      h(
        "caption",
        { class: "visually-hidden" },
        `Columns of ${file.path} in v${from} and v${to}: changed figures are highlighted`,
      ),
      h(
        "thead",
        {},
        h("tr", {}, ...heads.map((c, i) => h("th", { scope: "col", class: i > 1 ? "num" : null }, c))),
      ),
      body,
    ),
  );
}

function changedCount(columns: DatasetColumnChange[]): number {
  return columns.filter((c) => c.changed).length;
}

function fileSection(file: DatasetFileDiff, from: number, to: number): HTMLElement {
  const more =
    file.columns_total > file.columns.length
      ? h("p", { class: "meta" }, `Showing ${file.columns.length} of ${file.columns_total} common columns.`)
      : null;
  return h(
    "div",
    { "data-testid": "diff-file", "data-path": file.path, "data-change": file.change },
    section(
      `${file.path} (${file.change})`,
      h(
        "p",
        { class: "meta" },
        `Size ${pair(file.size_before, file.size_after, bytes)}; rows ${pair(file.rows_before, file.rows_after, num)}.`,
        file.columns.length ? ` ${changedCount(file.columns)} of ${file.columns.length} common columns changed.` : "",
      ),
      file.note ? h("p", { class: "muted", "data-testid": "diff-file-note" }, file.note) : null,
      schemaList(file),
      file.columns.length ? h("div", {}, h("h3", {}, "Columns"), statsTable(file, from, to)) : null,
      more,
    ),
  );
}

export async function datasetDiffPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0] as string;
  const from = ctx.query.get("from") ?? "";
  const to = ctx.query.get("to") ?? "";
  ctx.setTitle(`${name} v${from} → v${to} · Datasets`);
  const crumbs = h(
    "p",
    { class: "crumbs" },
    h("a", { href: "#/datasets" }, "Datasets"),
    " / ",
    h("a", { href: route("datasets", name) }, name),
    " / compare",
  );
  const title = h("h1", {}, `${name}: v${from} → v${to}`);
  if (!VERSION.test(from) || !VERSION.test(to)) {
    ctx.setTitle("Versions not found");
    const wrong = new Error("Give two version numbers: ?from=V1&to=V2.");
    replace(ctx.main, crumbs, h("h1", {}, `${name}: compare versions`), errorBox(wrong, undefined, "Not found"));
    return;
  }
  let answer: DatasetDiff;
  let versions: DatasetVersion[];
  try {
    const [diff, list] = await Promise.all([
      get<DatasetDiff>(
        withQuery(apiPath("projects", ctx.project, "datasets", "diff"), { name, from, to }),
        ctx.signal,
      ),
      get<{ versions: DatasetVersion[] }>(
        withQuery(apiPath("projects", ctx.project, "datasets", "versions"), { name }),
        ctx.signal,
      ),
    ]);
    answer = diff;
    versions = [...list.versions].sort((a, b) => b.version - a.version);
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
      ctx.setTitle(err.notFound ? "Versions not found" : "Error");
      replace(ctx.main, crumbs, title, errorBox(err, "Version"));
      return;
    }
    throw err;
  }
  const a = answer.from.version;
  const b = answer.to.version;
  const summary =
    answer.files_total === 0
      ? "No file changed."
      : `${answer.files_total} file${answer.files_total === 1 ? "" : "s"} changed` +
        (answer.files.length < answer.files_total ? ` (the first ${answer.files.length} are shown).` : ".");
  replace(
    ctx.main,
    crumbs,
    title,
    compareForm(name, versions, a, b),
    h(
      "p",
      { class: "meta", role: "status", "data-testid": "diff-summary" },
      h("a", { href: route("datasets", name, "versions", a) }, `v${a}`),
      " → ",
      h("a", { href: route("datasets", name, "versions", b) }, `v${b}`),
      `: ${summary}`,
    ),
    answer.note ? h("p", { class: "empty", "data-testid": "diff-note" }, answer.note) : null,
    ...answer.files.map((f) => fileSection(f, a, b)),
  );
}
