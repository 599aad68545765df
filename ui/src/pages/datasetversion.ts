// One dataset version and its profile (`#/datasets/NAME/versions/V`): per file, per
// column, its type, nulls, distinct count, mean, min, max and a small histogram (top
// values for text and booleans), read from `GET /projects/{p}/datasets/profile`, which
// derives them from the profile `shipyard data add` stored.

import { ApiError, apiPath, get, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, route, s, type Child } from "../dom";
import { bytes, num, time } from "../format";
import type { DatasetColumn, DatasetFileProfile, DatasetProfile } from "../types";
import { errorBox, scrollBox, section } from "../ui";
import { diffRoute } from "./datasets";

const WIDTH = 120;
const HEIGHT = 32;

/** A number, or a date the server wrote as text. */
export function figure(value: number | string | null | undefined): string {
  return typeof value === "string" ? value : num(value);
}

function edgeText(value: number | null | undefined, kind: string): string {
  if (kind === "datetime" && typeof value === "number") {
    const date = new Date(value * 1000);
    return Number.isNaN(date.getTime()) ? num(value) : date.toISOString().slice(0, 10);
  }
  return num(value);
}

/** Bars of `counts` (one per bin or value), each with its own title; the whole has one. */
function bars(label: string, counts: number[], titles: string[]): SVGSVGElement {
  const top = Math.max(...counts, 1e-9);
  const gap = counts.length > 1 ? 1 : 0;
  const width = (WIDTH - gap * (counts.length - 1)) / Math.max(counts.length, 1);
  const svg = s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: "img", class: "histogram" },
    s("title", {}, label),
  );
  counts.forEach((count, i) => {
    const tall = count > 0 ? Math.max(1, (count / top) * (HEIGHT - 2)) : 0;
    svg.append(
      s(
        "rect",
        {
          x: (i * (width + gap)).toFixed(2),
          y: (HEIGHT - tall).toFixed(2),
          width: Math.max(width, 0.5).toFixed(2),
          height: tall.toFixed(2),
          class: "histogram-bar",
        },
        s("title", {}, titles[i] ?? ""),
      ),
    );
  });
  return svg;
}

/** The column's distribution: its histogram, or its most frequent values. */
export function distribution(column: DatasetColumn): Child {
  const hist = column.histogram;
  if (hist && hist.counts.length) {
    const counts = hist.counts.map((c) => c ?? 0);
    const edge = (i: number): string => edgeText(hist.edges[i], column.kind);
    const titles = counts.map((c, i) => `${edge(i)} to ${edge(i + 1)}: ${num(Math.round(c))} rows`);
    const label = `Histogram of ${column.name}: ${counts.length} bins from ${edge(0)} to ${edge(counts.length)}`;
    return bars(label, counts, titles);
  }
  if (column.top && column.top.length) {
    const top = column.top;
    const titles = top.map((t) => `${t.value}: ${num(t.count)} rows`);
    const shown = top.slice(0, 3).map((t) => `${t.value} (${num(t.count)})`);
    const label = `Most frequent values of ${column.name}: ${titles.join(", ")}`;
    return h(
      "span",
      { class: "top-values" },
      bars(label, top.map((t) => t.count), titles),
      h("span", { class: "muted" }, shown.join(", ") + (top.length > 3 ? ", …" : "")),
    );
  }
  return h("span", { class: "muted" }, "–");
}

function distinctText(column: DatasetColumn): string {
  if (column.distinct === null) return "–";
  return column.distinct_exact ? num(column.distinct) : `≈ ${num(column.distinct)}`;
}

function columnsTable(file: DatasetFileProfile): HTMLElement {
  const heads = ["Column", "Type", "Nulls", "Distinct", "Mean", "Min", "Max", "Distribution"];
  const numeric = new Set(["Nulls", "Distinct", "Mean", "Min", "Max"]);
  const body = h("tbody");
  for (const c of file.columns) {
    const share = c.null_fraction === null ? null : Math.round(c.null_fraction * 1000) / 10;
    const nulls = c.nulls && share !== null ? `${num(c.nulls)} (${num(share)} %)` : num(c.nulls);
    body.append(
      h(
        "tr",
        { "data-testid": "profile-column", "data-column": c.name },
        h("th", { scope: "row" }, h("code", {}, c.name)),
        h("td", {}, c.dtype, h("span", { class: "muted" }, ` ${c.kind}`)),
        h("td", { class: "num" }, nulls),
        h("td", { class: "num" }, distinctText(c)),
        h("td", { class: "num" }, num(c.mean)),
        h("td", { class: "num" }, figure(c.min)),
        h("td", { class: "num" }, figure(c.max)),
        h("td", {}, distribution(c)),
      ),
    );
  }
  return scrollBox(
    `Columns of ${file.path}`,
    h(
      "table",
      { class: "grid", "data-testid": "profile-columns" },
      h("caption", { class: "visually-hidden" }, `Columns of ${file.path}`),
      h(
        "thead",
        {},
        h("tr", {}, ...heads.map((c) => h("th", { scope: "col", class: numeric.has(c) ? "num" : null }, c))),
      ),
      body,
    ),
  );
}

function fileSection(name: string, file: DatasetFileProfile): HTMLElement {
  const more =
    file.columns_total > file.columns.length
      ? h(
          "p",
          { class: "meta" },
          `Showing ${file.columns.length} of ${file.columns_total} columns: `,
          h("code", {}, `shipyard data show ${file.path}`),
          " shows all.",
        )
      : null;
  return h(
    "div",
    { "data-testid": "profile-file", "data-path": file.path },
    section(
      file.path === name ? "Profile" : file.path,
      h("p", { class: "meta" }, `${num(file.rows)} rows, ${num(file.columns_total)} columns.`),
      file.note ? h("p", { class: "muted", "data-testid": "profile-file-note" }, file.note) : null,
      file.columns.length ? columnsTable(file) : null,
      more,
    ),
  );
}

export async function datasetVersionPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0] as string;
  const number = ctx.params[1] as string;
  ctx.setTitle(`${name} v${number} · Datasets`);
  const crumbs = h(
    "p",
    { class: "crumbs" },
    h("a", { href: "#/datasets" }, "Datasets"),
    " / ",
    h("a", { href: route("datasets", name) }, name),
    ` / v${number}`,
  );
  if (!/^[1-9][0-9]{0,14}$/.test(number)) {
    ctx.setTitle("Version not found");
    const wrong = new Error(`"${number}" is not a version number.`);
    replace(ctx.main, crumbs, h("h1", {}, "Version not found"), errorBox(wrong, undefined, "Not found"));
    return;
  }
  let answer: DatasetProfile;
  try {
    answer = await get<DatasetProfile>(
      withQuery(apiPath("projects", ctx.project, "datasets", "profile"), { name, version: number }),
      ctx.signal,
    );
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
      ctx.setTitle(err.notFound ? "Version not found" : "Error");
      replace(ctx.main, crumbs, h("h1", {}, `${name} v${number}`), errorBox(err, "Version"));
      return;
    }
    throw err;
  }
  const v = answer.version;
  const rows: [string, Child][] = [
    ["Digest", h("code", {}, v.digest)],
    ["Kind", v.kind],
    ["Size", bytes(v.size)],
    ["Files", num(v.files)],
    ["Rows", num(v.rows)],
    ["Added by", v.created_by],
    ["When", time(v.created_at)],
    ["Message", v.message || "–"],
  ];
  const previous = v.version > 1 ? v.version - 1 : null;
  const moreFiles =
    answer.files_total > answer.files.length
      ? h(
          "p",
          { class: "meta" },
          `Showing ${answer.files.length} of ${answer.files_total} profiled files: `,
          h("code", {}, `shipyard data show ${name}/FILE`),
          " shows any.",
        )
      : null;
  replace(
    ctx.main,
    crumbs,
    h("h1", { "data-testid": "dataset-version-title" }, `${name} v${v.version}`),
    previous
      ? h(
          "p",
          { class: "meta" },
          h(
            "a",
            { href: diffRoute(name, previous, v.version), "data-testid": "compare-previous" },
            `Compare with v${previous}`,
          ),
        )
      : null,
    section("Version", kvTable(`Version ${v.version} of ${name}`, rows, { "data-testid": "dataset-version-facts" })),
    answer.note ? h("p", { class: "empty", role: "status", "data-testid": "profile-note" }, answer.note) : null,
    ...answer.files.map((f) => fileSection(name, f)),
    moreFiles,
  );
}
