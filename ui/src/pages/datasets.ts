// Datasets: every dataset the metadata store records for the project, with its newest
// version (`#/datasets`), and one dataset's versions, newest first (`#/datasets/NAME`),
// each linked to its profile (`#/datasets/NAME/versions/V`), with a control comparing
// two of them (`#/datasets/NAME/diff?from=V1&to=V2`). Versions are recorded by
// `shipyard data add` (in the workspace) and by `data push` to a team server; the bytes
// stay in the object store.

import { ApiError, apiPath, get, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, uid } from "../dom";
import { bytes, time } from "../format";
import type { Dataset, DatasetVersion } from "../types";
import { errorBox, scrollBox } from "../ui";

export async function datasetsPage(ctx: PageContext): Promise<void> {
  ctx.setTitle(`Datasets · ${ctx.project}`);
  let found: Dataset[];
  try {
    const answer = await get<{ datasets: Dataset[] }>(
      apiPath("projects", ctx.project, "datasets"),
      ctx.signal,
    );
    found = answer.datasets;
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
      replace(ctx.main, h("h1", {}, "Datasets"), errorBox(err));
      return;
    }
    throw err;
  }
  if (!found.length) {
    replace(
      ctx.main,
      h("h1", {}, "Datasets"),
      h(
        "p",
        { class: "empty", "data-testid": "datasets-empty" },
        "No datasets yet: ",
        h("code", {}, "shipyard data add PATH"),
        " stores a file or folder and records its version here.",
      ),
    );
    return;
  }
  const sorted = [...found].sort((a, b) => a.name.localeCompare(b.name));
  const body = h("tbody");
  for (const d of sorted) {
    const v = d.latest;
    body.append(
      h(
        "tr",
        { "data-testid": "dataset-row", "data-name": d.name },
        h("th", { scope: "row" }, h("a", { href: route("datasets", d.name) }, d.name)),
        h("td", { class: "num" }, d.versions),
        h("td", { class: "num" }, `v${v.version}`),
        h("td", {}, v.kind),
        h("td", { class: "num" }, bytes(v.size)),
        h("td", { class: "num" }, v.files),
        h("td", { class: "num" }, v.rows ?? "–"),
        h("td", {}, digestText(v.digest)),
        h("td", {}, v.created_by),
        h("td", {}, time(v.created_at)),
      ),
    );
  }
  const columns = ["Dataset", "Versions", "Newest", "Kind", "Size", "Files", "Rows", "Digest", "By", "When"];
  const numeric = new Set(["Versions", "Newest", "Size", "Files", "Rows"]);
  replace(
    ctx.main,
    h("h1", {}, "Datasets"),
    h(
      "p",
      { class: "meta", role: "status", "data-testid": "datasets-count" },
      `${sorted.length} dataset${sorted.length === 1 ? "" : "s"}, each with its newest version.`,
    ),
    scrollBox(
      "Datasets",
      h(
        "table",
        { class: "grid", "data-testid": "datasets-table" },
        h("caption", { class: "visually-hidden" }, `Datasets of project ${ctx.project}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...columns.map((c) => h("th", { scope: "col", class: numeric.has(c) ? "num" : null }, c)),
          ),
        ),
        body,
      ),
    ),
  );
}

export async function datasetPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0] as string;
  ctx.setTitle(`${name} · Datasets`);
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "#/datasets" }, "Datasets"), " / ", name);
  let versions: DatasetVersion[];
  try {
    const answer = await get<{ versions: DatasetVersion[] }>(
      withQuery(apiPath("projects", ctx.project, "datasets", "versions"), { name }),
      ctx.signal,
    );
    versions = [...answer.versions].sort((a, b) => b.version - a.version);
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
      ctx.setTitle(err.notFound ? "Dataset not found" : "Error");
      replace(ctx.main, crumbs, h("h1", {}, name), errorBox(err, "Dataset"));
      return;
    }
    throw err;
  }
  if (!versions.length) {
    replace(
      ctx.main,
      crumbs,
      h("h1", {}, name),
      h("p", { class: "empty", "data-testid": "dataset-empty" }, "No versions recorded for this name."),
    );
    return;
  }
  const body = h("tbody");
  for (const v of versions) {
    body.append(
      h(
        "tr",
        { "data-testid": "dataset-version-row", "data-version": v.version },
        h(
          "th",
          { scope: "row" },
          h("a", { href: route("datasets", name, "versions", v.version) }, `v${v.version}`),
        ),
        h("td", {}, digestText(v.digest)),
        h("td", {}, v.kind),
        h("td", { class: "num" }, bytes(v.size)),
        h("td", { class: "num" }, v.files),
        h("td", { class: "num" }, v.rows ?? "–"),
        h("td", {}, v.created_by),
        h("td", {}, time(v.created_at)),
        h("td", { class: "prose" }, v.message || "–"),
      ),
    );
  }
  const columns = ["Version", "Digest", "Kind", "Size", "Files", "Rows", "By", "When", "Message"];
  const numeric = new Set(["Size", "Files", "Rows"]);
  replace(
    ctx.main,
    crumbs,
    h("h1", { "data-testid": "dataset-name" }, name),
    h(
      "p",
      { class: "meta" },
      `${versions.length} version${versions.length === 1 ? "" : "s"}, newest first. `,
      h("code", {}, `shipyard data log ${name}`),
      " shows them over git history. A version's number opens its profile.",
    ),
    versions.length > 1 ? compareForm(name, versions) : null,
    scrollBox(
      `Versions of ${name}`,
      h(
        "table",
        { class: "grid", "data-testid": "dataset-versions" },
        h("caption", { class: "visually-hidden" }, `Versions of dataset ${name}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...columns.map((c) => h("th", { scope: "col", class: numeric.has(c) ? "num" : null }, c)),
          ),
        ),
        body,
      ),
    ),
  );
}

/** A digest shortened to 12 hex characters (the whole one in the title). */
function digestText(digest: string): HTMLElement {
  const hex = digest.replace(/^blake3:/, "");
  return h("code", { title: digest }, hex.length > 12 ? `${hex.slice(0, 12)}…` : hex);
}

/** The address of two versions of `name` compared. */
export function diffRoute(name: string, from: number, to: number): string {
  return `${route("datasets", name, "diff")}?from=${from}&to=${to}`;
}

/** "Compare versions": pick two versions (older, newer) and open their diff. */
export function compareForm(name: string, versions: DatasetVersion[], from?: number, to?: number): HTMLElement {
  const pick = (label: string, testid: string, chosen: number | undefined): [HTMLElement, HTMLSelectElement] => {
    const id = uid(testid);
    const select = h(
      "select",
      { id, "data-testid": testid },
      ...versions.map((v) => h("option", { value: v.version, selected: v.version === chosen }, `v${v.version}`)),
    );
    return [h("span", { class: "field inline" }, h("label", { for: id }, label), select), select];
  };
  const [fromField, fromSelect] = pick("From", "compare-from", from ?? versions[1]?.version);
  const [toField, toSelect] = pick("To", "compare-to", to ?? versions[0]?.version);
  const form = h(
    "form",
    { class: "toolbar compare-versions", "aria-label": "Compare versions", "data-testid": "compare-versions" },
    fromField,
    toField,
    h("button", { type: "submit", class: "primary", "data-testid": "compare-button" }, "Compare versions"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = diffRoute(name, Number(fromSelect.value), Number(toSelect.value));
  });
  return form;
}
