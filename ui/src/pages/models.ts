// The project's registered models with their aliases.

import { apiPath, get } from "../api";
import type { PageContext } from "../app";
import { h, replace, route } from "../dom";
import { time } from "../format";
import type { Model } from "../types";
import { empty } from "../ui";

export function aliasChips(name: string, aliases: Record<string, number>): HTMLElement | string {
  const entries = Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return "–";
  return h(
    "ul",
    { class: "chips" },
    ...entries.map(([alias, version]) =>
      h(
        "li",
        {},
        h(
          "a",
          { href: route("models", name, "versions", version), class: "chip" },
          `@${alias} → v${version}`,
        ),
      ),
    ),
  );
}

export async function modelsPage(ctx: PageContext): Promise<void> {
  ctx.setTitle(`Models · ${ctx.project}`);
  const models = await get<Model[]>(apiPath("projects", ctx.project, "models"), ctx.signal);
  if (!models.length) {
    replace(
      ctx.main,
      h("h1", {}, "Models"),
      empty("No registered models in this project yet."),
      h(
        "p",
        {},
        "Register one with ",
        h("code", {}, "run.log_model(…)"),
        " or ",
        h("code", {}, "shipyard models register"),
        ".",
      ),
    );
    return;
  }
  const body = h("tbody");
  const frag = document.createDocumentFragment();
  for (const m of models) {
    frag.append(
      h(
        "tr",
        { "data-testid": "model-row" },
        h("td", {}, h("a", { href: route("models", m.name) }, m.name)),
        h("td", { class: "num" }, String(m.version_count)),
        h(
          "td",
          { class: "num" },
          m.latest_version === null
            ? "–"
            : h("a", { href: route("models", m.name, "versions", m.latest_version) }, `v${m.latest_version}`),
        ),
        h("td", {}, aliasChips(m.name, m.aliases ?? {})),
        h("td", {}, m.card?.overview ?? ""),
        h("td", {}, time(m.updated_at)),
      ),
    );
  }
  body.append(frag);
  replace(
    ctx.main,
    h("h1", {}, "Models"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "grid", "data-testid": "models-table" },
        h("caption", { class: "visually-hidden" }, `Registered models of project ${ctx.project}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Model", "Versions", "Latest", "Aliases", "Overview", "Updated"].map((c) =>
              h("th", { scope: "col", class: c === "Versions" || c === "Latest" ? "num" : null }, c),
            ),
          ),
        ),
        body,
      ),
    ),
  );
}
