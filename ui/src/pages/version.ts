// One model version: what it is, its model card (rendered from the card's JSON with
// DOM calls, never the server's HTML), its signature and signing, files, lineage (run,
// git, params, inputs), metrics and evaluations; for maintainers, approve and promote.

import { ApiError, apiPath, get, isAbort, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, route, table, type Child } from "../dom";
import { bytes, metric, num, shortDigest, time } from "../format";
import {
  canMaintain,
  type Approval,
  type MetricEntry,
  type Model,
  type ModelCard,
  type ModelVersion,
  type SignatureSchema,
} from "../types";
import { empty, errorBox, section } from "../ui";
import { versionMetrics } from "./model";
import { promotionPanel } from "./promotion";
import { verifyControl } from "./verify";
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
  const base = apiPath("projects", ctx.project, "models", name, "versions", number);
  const maintainer = canMaintain(ctx.session, ctx.project);
  // The card and (for the alias field) the model's aliases come beside the version.
  const [card, model] = await Promise.all([
    get<ModelCard>(withQuery(`${base}/card`, { format: "json" }), ctx.signal).catch((err: unknown) => {
      if (isAbort(err)) throw err;
      return err instanceof Error ? err : new Error(String(err));
    }),
    maintainer
      ? get<Model>(apiPath("projects", ctx.project, "models", name), ctx.signal).catch((err: unknown) => {
          if (isAbort(err)) throw err;
          return null;
        })
      : Promise.resolve(null),
  ]);
  const aliasesCell = h("span", { "data-testid": "version-aliases" }, aliasText(v));
  const lineage = v.lineage ?? {};
  const runId = v.run_id ?? lineage.run?.id ?? null;
  const rows: [string, Child][] = [
    ["URI", h("code", {}, v.uri ?? `models:/${name}/${v.version}`)],
    ["Aliases", aliasesCell],
    ["Created", time(v.created_at)],
    ["Created by", v.created_by],
    ["Source", v.source ?? "–"],
    ["Run", runId ? h("a", { href: route("runs", runId) }, lineage.run?.name || runId) : "–"],
    ["Flavor", v.flavor ?? "–"],
    ["Size", bytes(v.size)],
    [
      "Signed",
      v.signed
        ? h("span", {}, `yes${v.signer ? ` (${v.signer})` : ""}`, verifyControl(base, ctx.signal))
        : "no",
    ],
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
  const approvals = h("div", { "data-testid": "version-approvals" });
  const showApprovals = async (): Promise<void> => {
    try {
      replace(approvals, approvalsTable(await get<Approval[]>(`${base}/approvals`, ctx.signal)));
    } catch (err) {
      if (!isAbort(err)) replace(approvals, errorBox(err, "Approvals"));
    }
  };
  replace(
    ctx.main,
    back,
    h("h1", { "data-testid": "version-title" }, `${name} v${v.version}`),
    section("Version", kvTable("Version", rows, { "data-testid": "version-summary" })),
    maintainer
      ? section(
          "Approve and promote",
          promotionPanel({
            project: ctx.project,
            name,
            version: v.version,
            aliases: { ...(model?.aliases ?? {}) },
            moved: async () => {
              const fresh = await get<ModelVersion>(base, ctx.signal);
              aliasesCell.textContent = aliasText(fresh);
            },
            approved: showApprovals,
          }),
        )
      : null,
    section("Approvals", approvals),
    card instanceof Error ? section("Model card", errorBox(card, "Model card")) : cardSection(card),
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
  await showApprovals();
}

/** Who approved this version for which alias (what an `approvals` gate counts). */
function approvalsTable(list: Approval[]): HTMLElement {
  if (!list.length) return empty("No approvals yet.");
  return table(
    "Approvals",
    ["Alias", "By", "Role", "When", "Reason"],
    list.map((a) => [`@${a.alias}`, a.principal, a.role, time(a.time), a.note || "–"]),
    { "data-testid": "approvals-table" },
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

function aliasText(v: ModelVersion): string {
  return v.aliases?.length ? v.aliases.map((a) => `@${a}`).join(" ") : "–";
}

/** The card's sections, each as headings, lists and tables of text. */
function cardSection(card: ModelCard): HTMLElement {
  const details = card.model_details ?? {};
  const params = card.model_parameters ?? {};
  const considerations = card.considerations ?? {};
  const items = (list: { description: string }[] | undefined): string[] =>
    (list ?? []).map((i) => i.description).filter((t) => t);
  const prose = (testid: string, title: string, texts: string[], missing: string): HTMLElement =>
    h(
      "div",
      { class: "card-part", "data-testid": testid },
      h("h3", {}, title),
      texts.length === 0
        ? empty(missing)
        : texts.length === 1
          ? h("p", { class: "prose" }, texts[0])
          : h("ul", { class: "plain prose" }, ...texts.map((t) => h("li", {}, t))),
    );
  const owners = (details.owners ?? []).map((o) => o.name).filter((n) => n);
  const licenses = (details.licenses ?? []).map((l) => l.identifier ?? "").filter((l) => l);
  const description = [details.overview ?? "", details.documentation ?? ""].filter((t) => t);
  const ethics = (considerations.ethical_considerations ?? []).map((e) =>
    e.mitigation_strategy ? `${e.name} (mitigation: ${e.mitigation_strategy})` : e.name,
  );
  return section(
    "Model card",
    h(
      "div",
      { class: "model-card", "data-testid": "version-card" },
      prose("card-description", "Description", description, "No overview written."),
      owners.length || licenses.length
        ? h(
            "p",
            { class: "meta" },
            owners.length ? `Owners: ${owners.join(", ")}. ` : "",
            licenses.length ? `License: ${licenses.join(", ")}.` : "",
          )
        : null,
      prose("card-intended-use", "Intended use", items(considerations.use_cases), "No intended use written."),
      prose("card-users", "Users", items(considerations.users), "No users named."),
      prose("card-limitations", "Limitations", items(considerations.limitations), "No limitations written."),
      prose("card-tradeoffs", "Trade-offs", items(considerations.tradeoffs), "No trade-offs written."),
      prose("card-ethics", "Ethical considerations", ethics, "No ethical considerations written."),
      cardMetrics(card),
      cardLineage(card),
      h(
        "div",
        { class: "card-part", "data-testid": "card-signature" },
        h("h3", {}, "Signature"),
        params.model_architecture ? h("p", {}, "Model: ", h("code", {}, params.model_architecture)) : null,
        signatureTables(params.signature ?? null, params.input_format, params.output_format),
        signing(details.lineage?.signed ?? false, details.lineage?.signer ?? null),
      ),
    ),
  );
}

function cardMetrics(card: ModelCard): HTMLElement {
  const metrics = card.quantitative_analysis?.performance_metrics ?? [];
  return h(
    "div",
    { class: "card-part", "data-testid": "card-metrics" },
    h("h3", {}, "Metrics"),
    metrics.length
      ? table(
          "Metrics of the model card",
          ["Metric", "Value", "Source", "Data"],
          metrics.map((m) => [m.type, num(m.value), m.source ?? "", m.slice || m.dataset || ""]),
        )
      : empty("The card lists no metrics."),
  );
}

function cardLineage(card: ModelCard): HTMLElement {
  const lineage = card.model_details?.lineage ?? {};
  const run = lineage.run ?? null;
  const rows: [string, Child][] = [
    [
      "Run",
      run ? h("a", { href: route("runs", run.id), "data-testid": "card-run" }, run.name || run.id) : "–",
    ],
    ["Registered", lineage.registered_at ? time(lineage.registered_at) : "–"],
    ["Registered by", lineage.registered_by ?? "–"],
    ["Source", lineage.source ?? "–"],
  ];
  const git = lineage.git;
  if (git && typeof git === "object") {
    const commit = typeof git.commit === "string" ? git.commit.slice(0, 12) : "no commit";
    const branch = typeof git.branch === "string" ? ` on ${git.branch}` : "";
    rows.push(["Git", `${commit}${branch}${git.dirty ? " (dirty)" : ""}`]);
  }
  const data = card.model_parameters?.data ?? [];
  return h(
    "div",
    { class: "card-part", "data-testid": "card-lineage" },
    h("h3", {}, "Lineage"),
    kvTable("Lineage", rows),
    h("h4", {}, "Data"),
    data.length
      ? table(
          "Data the version was trained and evaluated on",
          ["Data", "Role", "Digest", "Description"],
          data.map((d) => {
            const label = d.name || d.path || "data";
            // A dataset the metadata store knows has its versions on the datasets page.
            const named = d.version ? h("a", { href: route("datasets", label) }, label) : label;
            return [named, d.role ?? "", shortDigest(d.digest), d.description ?? ""];
          }),
        )
      : empty("The run logged no data inputs."),
  );
}

function signatureTables(
  signature: { inputs?: SignatureSchema | null; outputs?: SignatureSchema | null } | null,
  inputText: string | undefined,
  outputText: string | undefined,
): HTMLElement {
  if (!signature) {
    return empty(inputText || "No signature recorded (the model was saved without an input example).");
  }
  const side = (
    title: string,
    schema: SignatureSchema | null | undefined,
    text: string | undefined,
  ): Child[] => {
    if (!schema) return [h("h4", {}, title), empty(text || "Not recorded.")];
    if (schema.columns) {
      return [
        h("h4", {}, title),
        table(
          `${title}: columns`,
          ["Column", "Type"],
          schema.columns.map((c) => [c.name, h("code", {}, c.dtype)]),
          { "data-testid": `signature-${title.toLowerCase()}` },
        ),
      ];
    }
    return [
      h("h4", {}, title),
      table(
        `${title}: tensors`,
        ["Tensor", "Type", "Shape"],
        (schema.tensors ?? []).map((t) => [
          t.name ?? "(unnamed)",
          h("code", {}, t.dtype),
          `(${t.shape.map((d) => (d === -1 ? "any" : String(d))).join(", ")})`,
        ]),
        { "data-testid": `signature-${title.toLowerCase()}` },
      ),
    ];
  };
  return h(
    "div",
    { class: "signature" },
    ...side("Inputs", signature.inputs, inputText),
    ...side("Outputs", signature.outputs, outputText),
  );
}

function signing(signed: boolean, signer: string | null): HTMLElement {
  return h(
    "p",
    { class: signed ? "signing signed" : "signing unsigned", "data-testid": "card-signing" },
    signed
      ? `Signed${signer ? ` by ${signer}` : ""}. The signature is verified when the model is loaded with signatures required, and by the signature_valid gate.`
      : "Not signed.",
  );
}
