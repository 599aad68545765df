// One registered model: its card, aliases, versions and the history of alias moves.
// Maintainers (and admins) also get "Move alias" and "Roll back", each confirmed in
// an in-page dialog with a reason that the history keeps; viewers see no controls.

import { ApiError, apiPath, get, request } from "../api";
import type { PageContext } from "../app";
import { h, replace, route, uid, type Child } from "../dom";
import { metric, time } from "../format";
import { canMaintain, type AliasEvent, type MetricEntry, type Model, type ModelVersion } from "../types";
import { aliasField, confirmDialog, empty, errorBox, section } from "../ui";

/** The model card's editable fields, in the order the card shows them. */
export const CARD_FIELDS: [string, string][] = [
  ["overview", "Overview"],
  ["intended_use", "Intended use"],
  ["users", "Users"],
  ["limitations", "Limitations"],
  ["tradeoffs", "Trade-offs"],
  ["ethical_considerations", "Ethical considerations"],
  ["owners", "Owners"],
  ["license", "License"],
];

const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;
const RESERVED = new Set(["all", "head", "latest", "new", "none", "versions"]);
const METRIC_COLUMNS = 6;

export async function modelPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0] as string;
  const base = apiPath("projects", ctx.project, "models", name);
  const maintainer = canMaintain(ctx.session, ctx.project);
  ctx.setTitle(`${name} · Models`);
  const notice = h("div", { class: "notice", role: "status", "data-testid": "notice" });

  async function load(): Promise<void> {
    let model: Model;
    let history: AliasEvent[];
    try {
      [model, history] = await Promise.all([
        get<Model>(base, ctx.signal),
        get<AliasEvent[]>(`${base}/history`, ctx.signal),
      ]);
    } catch (err) {
      if (err instanceof ApiError && (err.notFound || err.status === 422)) {
        ctx.setTitle("Model not found");
        replace(
          ctx.main,
          h("h1", {}, "Model not found"),
          errorBox(err),
          h("p", {}, h("a", { href: "#/models" }, "Back to the models")),
        );
        return;
      }
      throw err;
    }
    const versions = [...(model.versions ?? [])].sort((a, b) => b.version - a.version);
    const moved = async (message: string): Promise<void> => {
      await load();
      notice.textContent = message;
    };
    replace(
      ctx.main,
      h("p", { class: "crumbs" }, h("a", { href: "#/models" }, "Models"), " / ", name),
      h("h1", { "data-testid": "model-name" }, name),
      notice,
      section("Model card", cardFields(model)),
      section(
        "Aliases",
        aliasesTable(ctx.project, model, maintainer, moved),
        maintainer ? moveForm(ctx.project, model, versions, moved) : null,
        maintainer
          ? h(
              "p",
              { class: "meta", "data-testid": "promote-hint" },
              "To move an alias through its gates, approve or promote a version on the version's page.",
            )
          : null,
      ),
      section("Versions", versionsTable(name, versions)),
      section("Alias history", historyList(history)),
    );
  }

  await load();
}

function cardFields(model: Model): HTMLElement {
  const card = model.card ?? {};
  const known = new Set(CARD_FIELDS.map(([k]) => k));
  const fields: [string, string][] = [
    ...CARD_FIELDS.filter(([k]) => card[k]).map(([k, label]): [string, string] => [label, card[k] as string]),
    ...Object.keys(card)
      .filter((k) => !known.has(k) && typeof card[k] === "string" && card[k])
      .map((k): [string, string] => [k, card[k] as string]),
  ];
  const missing = CARD_FIELDS.filter(([k]) => !card[k]).map(([, label]) => label.toLowerCase());
  const list = h("dl", { class: "card-fields", "data-testid": "model-card" });
  for (const [label, value] of fields) list.append(h("dt", {}, label), h("dd", { class: "prose" }, value));
  return h(
    "div",
    {},
    fields.length ? list : empty("The card is empty."),
    h(
      "p",
      { class: "meta" },
      "Created ",
      time(model.created_at),
      ` by ${model.created_by}; updated `,
      time(model.updated_at),
      ".",
    ),
    missing.length
      ? h(
          "p",
          { class: "meta" },
          `Not written yet: ${missing.join(", ")} (`,
          h("code", {}, "shipyard models describe"),
          ").",
        )
      : null,
  );
}

function aliasesTable(
  project: string,
  model: Model,
  maintainer: boolean,
  moved: (message: string) => Promise<void>,
): HTMLElement {
  const entries = Object.entries(model.aliases ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return empty("No aliases point at a version yet.");
  const columns = ["Alias", "Version", ...(maintainer ? ["Actions"] : [])];
  const body = h("tbody");
  for (const [alias, version] of entries) {
    const cells: Child[] = [
      h("td", {}, h("span", { class: "chip" }, `@${alias}`)),
      h("td", {}, h("a", { href: route("models", model.name, "versions", version) }, `v${version}`)),
    ];
    if (maintainer) {
      const button = h(
        "button",
        { type: "button", "data-testid": "alias-rollback", "data-alias": alias },
        "Roll back",
      );
      button.addEventListener("click", () =>
        confirmDialog({
          title: `Roll back @${alias}?`,
          body: [
            h(
              "p",
              {},
              `@${alias} of ${model.name} points at v${version}. Rolling back moves it to the version it pointed at before (recorded like any move).`,
            ),
          ],
          confirm: "Confirm rollback",
          reason: { label: "Reason (kept in the history)", testid: "rollback-reason", required: true },
          action: async (reason) => {
            await request<unknown>(
              `${apiPath("projects", project, "models", model.name, "aliases", alias)}/rollback`,
              {
                method: "POST",
                body: { reason },
              },
            );
            await moved(`Rolled back @${alias}.`);
          },
        }),
      );
      cells.push(h("td", {}, button));
    }
    body.append(h("tr", { "data-testid": "alias-row", "data-alias": alias }, ...cells));
  }
  return h(
    "table",
    { class: "grid narrow", "data-testid": "aliases-table" },
    h("caption", { class: "visually-hidden" }, "Aliases and the versions they point at"),
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c)))),
    body,
  );
}

function moveForm(
  project: string,
  model: Model,
  versions: ModelVersion[],
  moved: (message: string) => Promise<void>,
): HTMLElement {
  const aliasId = uid("alias");
  const listId = uid("alias-list");
  const versionId = uid("version");
  const reasonId = uid("reason");
  const aliasInput = aliasField(aliasId, listId, "alias-name");
  const datalist = h(
    "datalist",
    { id: listId },
    ...Object.keys(model.aliases ?? {})
      .sort()
      .map((a) => h("option", { value: a })),
  );
  const versionSelect = h("select", { id: versionId, required: true, "data-testid": "alias-version" });
  for (const v of versions) {
    const tags = v.aliases?.length ? ` (${v.aliases.map((a) => `@${a}`).join(", ")})` : "";
    versionSelect.append(h("option", { value: v.version }, `v${v.version}${tags}`));
  }
  const reason = h("textarea", {
    id: reasonId,
    rows: 3,
    maxlength: 2000,
    required: true,
    "data-testid": "alias-reason",
  });
  const submit = h(
    "button",
    { type: "submit", class: "primary", "data-testid": "alias-submit" },
    "Move alias…",
  );
  const error = h("div", { class: "form-error" });
  const form = h(
    "form",
    {
      class: "move-alias",
      "data-testid": "move-alias",
      "aria-labelledby": `${aliasId}-title`,
      novalidate: true,
    },
    h("h3", { id: `${aliasId}-title` }, "Move alias"),
    h(
      "div",
      { class: "row" },
      h("p", { class: "field" }, h("label", { for: aliasId }, "Alias"), aliasInput, datalist),
      h("p", { class: "field" }, h("label", { for: versionId }, "Version"), versionSelect),
    ),
    h("p", { class: "field" }, h("label", { for: reasonId }, "Reason (kept in the history)"), reason),
    error,
    h("p", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.replaceChildren();
    const alias = aliasInput.value.trim();
    const version = Number(versionSelect.value);
    const why = reason.value.trim();
    let problem = "";
    if (!ALIAS.test(alias))
      problem = "An alias is a lower-case letter then up to 62 letters, digits, '_' or '-'.";
    else if (RESERVED.has(alias)) problem = `"${alias}" is reserved: choose another alias name.`;
    else if (!Number.isInteger(version) || version < 1) problem = "Choose a version.";
    else if (!why) problem = "Give a reason: it is kept in the history.";
    if (problem) {
      error.replaceChildren(errorBox(new Error(problem), undefined, "Check the form"));
      return;
    }
    const current = model.aliases?.[alias];
    confirmDialog({
      title: `Move @${alias}?`,
      body: [
        h(
          "p",
          {},
          current === undefined
            ? `Point the new alias @${alias} of ${model.name} at v${version}.`
            : current === version
              ? `@${alias} of ${model.name} already points at v${version}; record the move again.`
              : `Move @${alias} of ${model.name} from v${current} to v${version}.`,
        ),
        h("p", { class: "quote" }, "Reason: ", why),
      ],
      confirm: "Confirm move",
      action: async () => {
        await request<unknown>(apiPath("projects", project, "models", model.name, "aliases", alias), {
          method: "PUT",
          body: { version, reason: why },
        });
        await moved(`Moved @${alias} to v${version}.`);
      },
    });
  });
  return form;
}

function metricColumns(versions: ModelVersion[]): string[] {
  const seen: string[] = [];
  for (const v of versions) {
    for (const k of Object.keys(versionMetrics(v))) if (!seen.includes(k)) seen.push(k);
  }
  return seen.slice(0, METRIC_COLUMNS);
}

export function versionMetrics(v: ModelVersion): Record<string, MetricEntry> {
  return v.metrics ?? v.lineage?.metrics ?? {};
}

function versionsTable(name: string, versions: ModelVersion[]): HTMLElement {
  if (!versions.length) return empty("No versions.");
  const metrics = metricColumns(versions);
  const head = ["Version", "Aliases", "Created", "Created by", "Run", "Flavor", "Signed", ...metrics];
  const body = h("tbody");
  const frag = document.createDocumentFragment();
  for (const v of versions) {
    const runId = v.run_id ?? v.lineage?.run?.id ?? null;
    const values = versionMetrics(v);
    frag.append(
      h(
        "tr",
        { "data-testid": "version-row" },
        h("td", {}, h("a", { href: route("models", name, "versions", v.version) }, `v${v.version}`)),
        h("td", {}, v.aliases?.length ? v.aliases.map((a) => `@${a}`).join(" ") : "–"),
        h("td", {}, time(v.created_at)),
        h("td", {}, v.created_by),
        h("td", {}, runId ? h("a", { href: route("runs", runId) }, v.lineage?.run?.name || runId) : "–"),
        h("td", {}, v.flavor ?? "–"),
        h("td", {}, v.signed ? `yes${v.signer ? ` (${v.signer})` : ""}` : "no"),
        ...metrics.map((k) => h("td", { class: "num" }, k in values ? metric(values[k]) : "–")),
      ),
    );
  }
  body.append(frag);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid", "data-testid": "versions-table" },
      h("caption", { class: "visually-hidden" }, `Versions of ${name}`),
      h(
        "thead",
        {},
        h("tr", {}, ...head.map((c, i) => h("th", { scope: "col", class: i >= 7 ? "num" : null }, c))),
      ),
      body,
    ),
  );
}

function historyList(events: AliasEvent[]): HTMLElement {
  if (!events.length) return empty("No alias has moved yet.");
  const list = h("ol", { class: "timeline", reversed: true, "data-testid": "alias-history" });
  for (const e of [...events].reverse()) {
    const from = e.from_version === null ? "—" : `v${e.from_version}`;
    const to = e.to_version === null ? "unset" : `v${e.to_version}`;
    const item = h(
      "li",
      { "data-testid": "alias-history-entry", "data-seq": e.seq },
      h(
        "p",
        { class: "event-head" },
        h("span", { class: "chip" }, `@${e.alias}`),
        " ",
        h("strong", {}, `${from} → ${to}`),
        ` (${e.action}) by `,
        h("span", { class: "actor" }, e.principal),
        ", ",
        time(e.time),
      ),
      e.reason ? h("p", { class: "reason" }, e.reason) : h("p", { class: "reason none" }, "No reason given."),
    );
    const gates = e.evaluation?.gates;
    if (e.evaluation) {
      if (gates && gates.length) {
        const passed = gates.filter((g) => g.passed).length;
        item.append(
          h(
            "details",
            { class: "gates" },
            h("summary", {}, `Gates: ${passed}/${gates.length} passed`),
            h(
              "ul",
              {},
              ...gates.map((g) =>
                h(
                  "li",
                  { class: g.passed ? "pass" : "fail" },
                  h("span", { class: "gate-mark" }, g.passed ? "✓ pass" : "✗ fail"),
                  ` ${g.gate ?? ""}${g.check ? ` (${g.check})` : ""}`,
                  g.evidence ? `: ${g.evidence}` : "",
                ),
              ),
            ),
          ),
        );
      } else {
        item.append(h("p", { class: "meta" }, "Gates: none configured."));
      }
    }
    list.append(item);
  }
  return list;
}
