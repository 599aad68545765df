// The admin page's tokens: a user's API tokens, creating one (its secret shown once,
// in a read-only field to copy) and revoking one after a confirmation.

import { apiPath, get, request, withQuery } from "../api";
import { h, replace, uid } from "../dom";
import { time } from "../format";
import type { CreatedToken, Token, User } from "../types";
import { confirmDialog, empty, errorBox, scrollBox, section } from "../ui";

function tokenState(token: Token): HTMLElement {
  if (token.revoked) return h("span", { class: "status status-killed" }, "revoked");
  if (token.expires_at && Date.parse(token.expires_at) <= Date.now()) {
    return h("span", { class: "status status-killed" }, "expired");
  }
  return h("span", { class: "status status-finished" }, "active");
}

/** The tokens section for `users` (tokens belong to users), starting with `preferred`. */
export function tokensSection(users: User[], preferred: string | null, signal: AbortSignal): HTMLElement {
  if (!users.length) {
    return section(
      "Tokens",
      empty("No user accounts, so no tokens: a token belongs to a user."),
      h("p", {}, "Add a user with ", h("code", {}, "shipyard users add NAME"), "."),
    );
  }
  const names = users.map((u) => u.name);
  let owner = preferred && names.includes(preferred) ? preferred : (names[0] as string);

  const ownerId = uid("token-owner");
  const ownerSelect = h("select", { id: ownerId, "data-testid": "token-owner" });
  for (const name of names) {
    const option = h("option", { value: name }, name);
    option.selected = name === owner;
    ownerSelect.append(option);
  }
  ownerSelect.addEventListener("change", () => {
    owner = ownerSelect.value;
    replace(created);
    void reload();
  });

  const nameId = uid("token-name");
  const expiresId = uid("token-expires");
  const expiresHelp = uid("token-expires-help");
  const nameInput = h("input", {
    id: nameId,
    type: "text",
    required: true,
    maxlength: 200,
    autocomplete: "off",
    "data-testid": "token-name",
  });
  const expiresInput = h("input", {
    id: expiresId,
    type: "text",
    maxlength: 100,
    autocomplete: "off",
    "aria-describedby": expiresHelp,
    "data-testid": "token-expires",
  });
  expiresInput.value = "30d";
  const submit = h(
    "button",
    { type: "submit", class: "primary", "data-testid": "token-create" },
    "Create token",
  );
  const formError = h("div");
  const created = h("div", { "data-testid": "token-created" });
  const form = h(
    "form",
    { class: "filter-bar token-form", "aria-label": "Create a token" },
    h("p", { class: "field" }, h("label", { for: nameId }, "Token name"), nameInput),
    h(
      "p",
      { class: "field" },
      h("label", { for: expiresId }, "Expires after"),
      expiresInput,
      h("span", { id: expiresHelp, class: "help" }, "A duration such as 30d or 12h; empty: never."),
    ),
    h("p", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      replace(formError, errorBox(new Error("Give the token a name."), undefined, "Check the form"));
      nameInput.focus();
      return;
    }
    submit.disabled = true;
    formError.replaceChildren();
    const body: Record<string, string> = { name, user: owner };
    if (expiresInput.value.trim()) body.expires = expiresInput.value.trim();
    request<CreatedToken>(apiPath("tokens"), { method: "POST", body }).then(
      (answer) => {
        submit.disabled = false;
        nameInput.value = "";
        showSecret(answer);
        void reload();
      },
      (err: unknown) => {
        submit.disabled = false;
        replace(formError, errorBox(err, undefined, "The token was not created"));
      },
    );
  });

  function showSecret(answer: CreatedToken): void {
    const secretId = uid("token-secret");
    const field = h("input", {
      id: secretId,
      type: "text",
      readonly: true,
      class: "secret",
      spellcheck: "false",
      autocomplete: "off",
      "data-testid": "token-secret",
    });
    field.value = answer.token;
    field.addEventListener("focus", () => field.select());
    const copy = h("button", { type: "button", "data-testid": "token-copy" }, "Copy");
    const copied = h("span", { role: "status", class: "muted" });
    copy.addEventListener("click", () => {
      field.select();
      navigator.clipboard.writeText(answer.token).then(
        () => (copied.textContent = "Copied."),
        () => (copied.textContent = "Select the field and copy it (Ctrl+C)."),
      );
    });
    replace(
      created,
      h(
        "div",
        { class: "secret-box" },
        h(
          "p",
          { class: "warning", role: "alert" },
          `Copy the token "${answer.info.name}" now: it is shown only this once, and the server keeps only its hash.`,
        ),
        h(
          "p",
          { class: "field" },
          h("label", { for: secretId }, "New token"),
          h("span", { class: "secret-row" }, field, copy, copied),
        ),
      ),
    );
    field.focus();
  }

  const list = h("div");
  async function reload(): Promise<void> {
    replace(list, h("p", { class: "loading" }, "Loading tokens…"));
    let tokens: Token[];
    try {
      tokens = await get<Token[]>(withQuery(apiPath("tokens"), { user: owner }), signal);
    } catch (err) {
      if (signal.aborted) return;
      replace(list, errorBox(err));
      return;
    }
    if (!tokens.length) {
      replace(list, empty(`${owner} has no tokens.`));
      return;
    }
    const body = h("tbody");
    for (const token of [...tokens].reverse()) {
      const revoke = token.revoked
        ? null
        : h("button", { type: "button", "data-testid": "token-revoke" }, "Revoke");
      revoke?.addEventListener("click", () =>
        confirmDialog({
          title: `Revoke the token "${token.name}"?`,
          body: [
            h(
              "p",
              {},
              `Programs using it (${token.user}'s token ${token.id}) are refused from now on. `,
              "A browser session of that user may be this very token: revoking it logs that session out.",
            ),
          ],
          confirm: "Confirm revoke",
          action: async () => {
            await request<void>(apiPath("tokens", token.id), { method: "DELETE" });
            await reload();
          },
        }),
      );
      body.append(
        h(
          "tr",
          { "data-testid": "token-row", "data-token-id": token.id },
          h("td", {}, token.name),
          h("td", {}, h("code", {}, token.id)),
          h("td", {}, tokenState(token)),
          h("td", {}, token.role_cap ?? "–"),
          h("td", {}, token.project ?? "all"),
          h("td", {}, time(token.created_at)),
          h("td", {}, token.expires_at ? time(token.expires_at) : "never"),
          h("td", {}, time(token.last_used_at)),
          h("td", {}, revoke),
        ),
      );
    }
    replace(
      list,
      scrollBox(
        `Tokens of ${owner}`,
        h(
          "table",
          { class: "grid", "data-testid": "tokens-table" },
          h("caption", { class: "visually-hidden" }, `Tokens of ${owner}, newest first`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Name", "ID", "State", "Role cap", "Project", "Created", "Expires", "Last used"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
              h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
            ),
          ),
          body,
        ),
      ),
    );
  }

  void reload();
  return section(
    "Tokens",
    h("p", { class: "field inline" }, h("label", { for: ownerId }, "Tokens of"), " ", ownerSelect),
    list,
    h("h3", {}, "Create a token"),
    form,
    formError,
    created,
  );
}
