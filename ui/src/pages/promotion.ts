// Approving a version for an alias and promoting it, on the version page (maintainers
// and admins only: the page never draws these controls for others, and the server
// refuses the writes whatever a page sends). Both ask for a reason in the in-page
// confirmation dialog. A promotion's answer carries every gate's result and evidence;
// a gate that fails is an answer (the alias stays), shown as an error box with the table.

import { ApiError, apiPath, request } from "../api";
import { h, replace, uid } from "../dom";
import type { Approval, Promotion, PromotionGate } from "../types";
import { aliasField, confirmDialog, empty, errorBox, scrollBox } from "../ui";

const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;
const RESERVED = new Set(["all", "head", "latest", "new", "none", "versions"]);

export interface PromotionTarget {
  project: string;
  name: string;
  version: number;
  /** The model's aliases and the versions they point at (offered in the alias field). */
  aliases: Record<string, number>;
  /** Called after the alias moved, to redraw what the page shows of the version. */
  moved: () => Promise<void>;
  /** Called after an approval was recorded, to redraw the list of approvals. */
  approved?: () => Promise<void>;
}

/** The form: an alias, then "Approve for alias…" or "Promote to alias…". */
export function promotionPanel(target: PromotionTarget): HTMLElement {
  const { project, name, version } = target;
  const base = apiPath("projects", project, "models", name, "versions", version);
  const aliasId = uid("promote-alias");
  const listId = uid("promote-aliases");
  const aliasInput = aliasField(aliasId, listId, "promote-alias");
  const known = Object.keys(target.aliases).sort();
  aliasInput.value = known.includes("production") ? "production" : (known[0] ?? "");
  const datalist = h("datalist", { id: listId }, ...known.map((a) => h("option", { value: a })));
  const approve = h("button", { type: "button", "data-testid": "approve-button" }, "Approve for alias…");
  const promote = h(
    "button",
    { type: "button", class: "primary", "data-testid": "promote-button" },
    "Promote to alias…",
  );
  const formError = h("div", { class: "form-error" });
  const notice = h("div", { class: "notice", role: "status", "data-testid": "promotion-notice" });
  const outcome = h("div", { class: "promotion-outcome", "data-testid": "promotion-outcome" });

  function chosenAlias(): string | null {
    const alias = aliasInput.value.trim();
    let problem = "";
    if (!ALIAS.test(alias))
      problem = "An alias is a lower-case letter then up to 62 letters, digits, '_' or '-'.";
    else if (RESERVED.has(alias)) problem = `"${alias}" is reserved: choose another alias name.`;
    if (problem) {
      formError.replaceChildren(errorBox(new Error(problem), undefined, "Check the form"));
      aliasInput.focus();
      return null;
    }
    formError.replaceChildren();
    return alias;
  }

  approve.addEventListener("click", () => {
    const alias = chosenAlias();
    if (alias === null) return;
    confirmDialog({
      title: `Approve v${version} for @${alias}?`,
      body: [
        h(
          "p",
          {},
          `Record your approval of ${name} v${version} for @${alias}. An alias whose gates ask for approvals moves only with enough of them.`,
        ),
      ],
      confirm: "Confirm approval",
      reason: { label: "Reason (kept with the approval)", testid: "approve-reason", required: true },
      action: async (reason) => {
        const approval = await request<Approval>(`${base}/approvals`, {
          method: "POST",
          body: { alias, note: reason },
        });
        replace(outcome);
        notice.textContent = `${approval.principal} (${approval.role}) approved v${approval.version} for @${approval.alias}.`;
        await target.approved?.();
      },
    });
  });

  promote.addEventListener("click", () => {
    const alias = chosenAlias();
    if (alias === null) return;
    const current = target.aliases[alias];
    confirmDialog({
      title: `Promote v${version} to @${alias}?`,
      body: [
        h(
          "p",
          {},
          current === undefined
            ? `The server evaluates the gates of @${alias}, then points the new alias at ${name} v${version} only if every gate passes.`
            : `The server evaluates the gates of @${alias}, then moves it from v${current} to v${version} only if every gate passes.`,
        ),
      ],
      confirm: "Confirm promotion",
      reason: { label: "Reason (kept in the history)", testid: "promote-reason", required: true },
      action: async (reason) => {
        notice.textContent = "";
        let answer: Promotion;
        try {
          answer = await request<Promotion>(`${base}/promote`, {
            method: "POST",
            body: { alias, reason },
          });
        } catch (err) {
          // Shown in the page, with any gate results the error carries.
          replace(outcome, refusal(err, alias));
          return;
        }
        replace(outcome, promotionResult(answer));
        if (answer.moved) {
          target.aliases[answer.alias] = answer.candidate;
          await target.moved();
        }
      },
    });
  });

  return h(
    "div",
    { class: "promotion", "data-testid": "promotion" },
    h(
      "p",
      { class: "meta" },
      "Promotion evaluates the alias's gates (",
      h("code", {}, "[gates.ALIAS]"),
      " in the workspace's config) and moves the alias only if all pass.",
    ),
    h(
      "div",
      { class: "row" },
      h("p", { class: "field" }, h("label", { for: aliasId }, "Alias"), aliasInput, datalist),
      h("p", { class: "actions" }, approve, " ", promote),
    ),
    formError,
    notice,
    outcome,
  );
}

function promotionResult(answer: Promotion): HTMLElement {
  const { alias, candidate, previous } = answer;
  const from = previous === null ? "" : ` from v${previous}`;
  if (answer.already) {
    return h(
      "p",
      { class: "notice", role: "status" },
      `@${alias} already points at v${candidate}: nothing to do.`,
    );
  }
  if (answer.moved) {
    return h(
      "div",
      { class: "promotion-ok", role: "status" },
      h(
        "p",
        { class: "ok-title" },
        `Promoted: @${alias} moved${from} to v${candidate}`,
        answer.gates_configured
          ? ` (all ${answer.gates.length} gates passed).`
          : " (no gates are set for it).",
      ),
      answer.gates.length ? gateTable(answer.gates) : null,
    );
  }
  const failed = answer.gates.filter((g) => !g.passed);
  return h(
    "div",
    { class: "error-box", role: "alert", "data-testid": "error" },
    h("p", { class: "error-title" }, "The gates refused the promotion"),
    h(
      "p",
      { class: "error-message" },
      `@${alias} stays${previous === null ? " unset" : ` at v${previous}`}: ${failed.length} of ${answer.gates.length} gates failed (${failed.map((g) => g.gate).join(", ")}).`,
    ),
    gateTable(answer.gates),
  );
}

function refusal(err: unknown, alias: string): HTMLElement {
  const box = errorBox(
    err,
    undefined,
    err instanceof ApiError ? `The server refused to promote to @${alias}` : undefined,
  );
  const gates = err instanceof ApiError ? gatesIn(err.fields) : [];
  if (gates.length) box.append(gateTable(gates));
  return box;
}

/** Gate results an error may carry in its fields (`gates`, or `evaluation.gates`). */
function gatesIn(fields: Record<string, unknown>): PromotionGate[] {
  const evaluation = fields.evaluation;
  const raw =
    fields.gates ??
    (typeof evaluation === "object" && evaluation !== null
      ? (evaluation as { gates?: unknown }).gates
      : null);
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((g): g is Record<string, unknown> => typeof g === "object" && g !== null)
    .map((g) => ({
      gate: String(g.gate ?? ""),
      check: String(g.check ?? ""),
      passed: g.passed === true,
      evidence: String(g.evidence ?? ""),
      details:
        typeof g.details === "object" && g.details !== null ? (g.details as Record<string, unknown>) : {},
    }));
}

/** One row per gate: the gate, what it checked, its verdict and the evidence, as text. */
export function gateTable(gates: PromotionGate[]): HTMLElement {
  if (!gates.length) return empty("No gates were evaluated.");
  const body = h("tbody");
  for (const g of gates) {
    body.append(
      h(
        "tr",
        { class: g.passed ? "pass" : "fail", "data-testid": "gate-row", "data-gate": g.gate },
        h("th", { scope: "row" }, g.gate),
        h("td", {}, g.check),
        h("td", { class: "gate-verdict" }, g.passed ? "✓ passed" : "✗ failed"),
        h("td", { class: "prose" }, g.evidence),
        h("td", {}, detailText(g.details)),
      ),
    );
  }
  return scrollBox(
    "Gate results",
    h(
      "table",
      { class: "grid gates-table", "data-testid": "gate-table" },
      h("caption", { class: "visually-hidden" }, "Gate results"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Gate", "Check", "Result", "Evidence", "Measured"].map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      body,
    ),
  );
}

/** A gate's JSON details (measured values, thresholds) as short `key: value` text. */
function detailText(details: Record<string, unknown> | undefined): string {
  if (!details) return "–";
  const value = (v: unknown): string => {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
    if (typeof v === "string" || typeof v === "boolean" || v === null) return String(v);
    if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))
      return v.map(value).join(", ");
    if (Array.isArray(v)) return `${v.length} entr${v.length === 1 ? "y" : "ies"}`;
    const text = JSON.stringify(v);
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  };
  const parts = Object.entries(details).map(([k, v]) => `${k}: ${value(v)}`);
  return parts.length ? parts.join("; ") : "–";
}
