// One model version: what it is, its files, lineage (run, git, params, inputs) and
// its metrics and evaluations.

import { ApiError, apiPath, get } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, route, table, type Child } from "../dom";
import { bytes, metric, shortDigest, time } from "../format";
import type { MetricEntry, ModelVersion } from "../types";
import { empty, errorBox, section } from "../ui";
import { versionMetrics } from "./model";
import { filesTable, tagsTable } from "./run";

export async function versionPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0] as string;
  const number = ctx.params[1] as string;
  ctx.setTitle(`${name} v${number} · Models`);
  const back = h(
    "p",
    { class: "crumbs" },
    h("a", { href: "#/models" }, "Models"),
    " / ",
    h("a", { href: route("models", name) }, name),
    ` / v${number}`,
  );
  if (!/^[1-9][0-9]{0,8}$/.test(number)) {
    replace(
      ctx.main,
      back,
      h("h1", {}, "Version not found"),
      errorBox(new Error(`"${number}" is not a version number.`), undefined, "Not found"),
    );
    ctx.setTitle("Version not found");
    return;
  }
  let v: ModelVersion;
  try {
    v = await get<ModelVersion>(
      apiPath("projects", ctx.project, "models", name, "versions", number),
      ctx.signal,
    );
  } catch (err) {
    if (err instanceof ApiError && (err.notFound || err.status === 422)) {
      ctx.setTitle("Version not found");
      replace(ctx.main, back, h("h1", {}, "Version not found"), errorBox(err));
      return;
    }
    throw err;
  }
  const lineage = v.lineage ?? {};
  const runId = v.run_id ?? lineage.run?.id ?? null;
  const rows: [string, Child][] = [
    ["URI", h("code", {}, v.uri ?? `models:/${name}/${v.version}`)],
    ["Aliases", v.aliases?.length ? v.aliases.map((a) => `@${a}`).join(" ") : "–"],
    ["Created", time(v.created_at)],
    ["Created by", v.created_by],
    ["Source", v.source ?? "–"],
    ["Run", runId ? h("a", { href: route("runs", runId) }, lineage.run?.name || runId) : "–"],
    ["Flavor", v.flavor ?? "–"],
    ["Size", bytes(v.size)],
    ["Signed", v.signed ? `yes${v.signer ? ` (${v.signer})` : ""}` : "no"],
    ["Manifest", shortDigest(v.manifest_digest)],
  ];
  if (v.description) rows.push(["Description", h("span", { class: "prose" }, v.description)]);
  const git = lineage.git;
  if (git && typeof git === "object") {
    const commit = typeof git.commit === "string" ? git.commit.slice(0, 12) : "no commit";
    const branch = typeof git.branch === "string" ? ` on ${git.branch}` : "";
    rows.push(["Git", `${commit}${branch}${git.dirty ? " (dirty)" : ""}`]);
  }
  const metrics = versionMetrics(v);
  const metricKeys = Object.keys(metrics).sort();
  const params = lineage.params ?? {};
  const paramKeys = Object.keys(params).sort();
  const files = (v.files ?? []).map((f) => ({ ...f, digest: f.digest ?? f.blake3 ?? null }));
  replace(
    ctx.main,
    back,
    h("h1", { "data-testid": "version-title" }, `${name} v${v.version}`),
    section("Version", kvTable("Version", rows, { "data-testid": "version-summary" })),
    section(
      "Metrics",
      metricKeys.length
        ? table(
            "Metrics",
            ["Metric", "Value"],
            metricKeys.map((k) => [k, metric(metrics[k])]),
            { "data-testid": "version-metrics" },
          )
        : empty("No metrics."),
    ),
    evaluations(v),
    section("Files", filesTable("Files", files)),
    section(
      "Lineage",
      h("h3", {}, "Params"),
      paramKeys.length
        ? table(
            "Params",
            ["Param", "Value"],
            paramKeys.map((k) => [k, params[k] ?? ""]),
          )
        : empty("No params."),
      h("h3", {}, "Inputs"),
      filesTable("Inputs", lineage.inputs ?? []),
      h("h3", {}, "Tags"),
      tagsTable(lineage.tags ?? {}),
    ),
  );
}

function evaluations(v: ModelVersion): HTMLElement | null {
  const list = v.evaluations ?? [];
  if (!list.length) return null;
  const items = list.map((e) => {
    const values = (typeof e.metrics === "object" && e.metrics !== null ? e.metrics : {}) as Record<
      string,
      MetricEntry
    >;
    const text = Object.entries(values)
      .map(([k, value]) => `${k} ${metric(value)}`)
      .join(" · ");
    const data = typeof e.data_path === "string" ? e.data_path : "data";
    const rows = typeof e.rows === "number" ? ` (${e.rows} rows)` : "";
    const when = typeof e.created_at === "string" ? e.created_at : null;
    const who = typeof e.created_by === "string" ? ` by ${e.created_by}` : "";
    return h(
      "li",
      {},
      h("code", {}, data),
      `${rows}: ${text || "no metrics"}${who}`,
      when ? ", " : "",
      when ? time(when) : "",
    );
  });
  return section("Evaluations", h("ul", { class: "plain" }, ...items));
}
