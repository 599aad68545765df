// Administration (admins only): users, API tokens, and the audit log, newest first,
// with a check of its hash chain and signed checkpoints ("Verify").

import { apiPath, get, isAbort, withQuery } from "../api";
import type { PageContext } from "../app";
import { h, kvTable, replace, table, uid, type Child } from "../dom";
import { time } from "../format";
import type { AuditEntry, AuditVerification, User } from "../types";
import { empty, errorBox, scrollBox, section } from "../ui";
import { tokensSection } from "./tokens";

/** Entries asked for at a time; the API answers at most 10,000, newest first. */
const AUDIT_PAGE = 100;
const AUDIT_MAX = 10_000;

export async function adminPage(ctx: PageContext): Promise<void> {
  ctx.setTitle("Admin");
  if (!ctx.session.admin) {
    replace(
      ctx.main,
      h("h1", {}, "Admin"),
      errorBox(
        new Error("This page is for administrators: users, tokens and the audit log."),
        undefined,
        "Not allowed",
      ),
    );
    return;
  }
  const users = await get<User[]>(apiPath("users"), ctx.signal);
  replace(
    ctx.main,
    h("h1", {}, "Admin"),
    section("Users", usersTable(users)),
    tokensSection(users, ctx.session.user, ctx.signal),
    auditSection(ctx.signal),
  );
}

function usersTable(users: User[]): HTMLElement {
  if (!users.length) {
    return h(
      "div",
      {},
      empty("No user accounts yet."),
      h("p", {}, "Add one with ", h("code", {}, "shipyard users add NAME"), "."),
    );
  }
  return scrollBox(
    "Users",
    table(
      "Users",
      ["User", "Admin", "State", "Roles", "Created"],
      users.map((u) => [
        u.name,
        u.admin ? "admin" : "–",
        u.disabled ? h("span", { class: "status status-killed" }, "disabled") : "enabled",
        Object.keys(u.roles ?? {}).length
          ? Object.entries(u.roles)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([project, role]) => `${project}: ${role}`)
              .join(", ")
          : "–",
        time(u.created_at),
      ]),
      { "data-testid": "users-table" },
    ),
  );
}

function verification(report: AuditVerification): HTMLElement {
  const rows: [string, Child][] = [
    [
      "Chain",
      report.intact
        ? h("span", { class: "status status-finished" }, "intact")
        : h("span", { class: "status status-failed" }, "broken"),
    ],
    ["Entries checked", String(report.entries)],
    ["Signed checkpoints", String(report.checkpoints)],
    [
      "Newest checkpoint",
      report.checkpoint
        ? h(
            "span",
            {},
            `entry ${report.checkpoint.seq} (${report.checkpoint.count} entries), `,
            time(report.checkpoint.time),
            `, key ${report.checkpoint.key}, ${report.checkpoint.where}`,
          )
        : "none",
    ],
    ["Entries after it", String(report.after_checkpoint)],
  ];
  return h(
    "div",
    { class: report.intact ? "verify ok" : "verify bad", "data-testid": "audit-result", role: "status" },
    kvTable("Audit verification", rows),
    report.breaks.length
      ? h(
          "div",
          { class: "error-box" },
          h("p", { class: "error-title" }, "Breaks in the chain"),
          h(
            "ul",
            {},
            ...report.breaks.map((b) =>
              h("li", {}, b.seq === null ? b.problem : `entry ${b.seq}: ${b.problem}`),
            ),
          ),
        )
      : null,
    report.warnings.length
      ? h("ul", { class: "warnings" }, ...report.warnings.map((w) => h("li", {}, w)))
      : null,
  );
}

function auditSection(signal: AbortSignal): HTMLElement {
  let limit = AUDIT_PAGE;
  let action = "";
  let principal = "";

  const verifyButton = h("button", { type: "button", "data-testid": "audit-verify" }, "Verify");
  const verifyBox = h("div");
  verifyButton.addEventListener("click", () => {
    verifyButton.disabled = true;
    replace(verifyBox, h("p", { class: "loading", role: "status" }, "Checking the chain…"));
    get<AuditVerification>(apiPath("audit", "verify"), signal).then(
      (report) => {
        verifyButton.disabled = false;
        replace(verifyBox, verification(report));
      },
      (err: unknown) => {
        verifyButton.disabled = false;
        if (!isAbort(err)) replace(verifyBox, errorBox(err, undefined, "Could not verify"));
      },
    );
  });

  const actionId = uid("audit-action");
  const principalId = uid("audit-principal");
  const actionInput = h("input", { id: actionId, type: "search", maxlength: 100, placeholder: "run.start" });
  const principalInput = h("input", { id: principalId, type: "search", maxlength: 200 });
  const filterForm = h(
    "form",
    { class: "filter-bar", role: "search", "aria-label": "Filter the audit log" },
    h("p", { class: "field" }, h("label", { for: actionId }, "Action"), actionInput),
    h("p", { class: "field" }, h("label", { for: principalId }, "Who"), principalInput),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "Apply")),
  );
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    action = actionInput.value.trim();
    principal = principalInput.value.trim();
    limit = AUDIT_PAGE;
    void load();
  });

  const list = h("div");
  const status = h("p", { class: "paging-status", role: "status", "data-testid": "audit-count" });
  const more = h("button", { type: "button", "data-testid": "audit-more" }, "Show older entries");
  more.hidden = true;
  more.addEventListener("click", () => {
    limit = Math.min(AUDIT_MAX, limit + AUDIT_PAGE);
    void load();
  });

  async function load(): Promise<void> {
    more.disabled = true;
    status.textContent = "Loading…";
    let entries: AuditEntry[];
    try {
      entries = await get<AuditEntry[]>(withQuery(apiPath("audit"), { limit, action, principal }), signal);
    } catch (err) {
      if (isAbort(err)) return;
      replace(list, errorBox(err));
      status.textContent = "";
      return;
    }
    more.disabled = false;
    more.hidden = entries.length < limit || limit >= AUDIT_MAX;
    status.textContent = `${entries.length} entr${entries.length === 1 ? "y" : "ies"} shown, newest first`;
    if (!entries.length) {
      replace(list, empty(action || principal ? "No entry matches." : "The audit log is empty."));
      return;
    }
    replace(
      list,
      scrollBox(
        "Audit log",
        table(
          "Audit log, newest first",
          ["#", "Time", "Who", "Action", "Target", "Project", "Source", "Detail"],
          entries.map((e) => [
            String(e.seq),
            time(e.time),
            e.principal,
            h("code", {}, e.action),
            e.target,
            e.project ?? "–",
            e.source,
            Object.keys(e.detail ?? {}).length
              ? h("code", { class: "detail" }, JSON.stringify(e.detail))
              : "",
          ]),
          { class: "grid audit", "data-testid": "audit-table" },
        ),
      ),
    );
  }

  void load();
  return section(
    "Audit log",
    h(
      "p",
      { class: "toolbar" },
      verifyButton,
      h("span", { class: "muted" }, "Checks the hash chain and its signed checkpoints."),
    ),
    verifyBox,
    filterForm,
    list,
    h("div", { class: "paging" }, status, more),
  );
}
