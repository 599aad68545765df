// Pieces every page shares: error boxes, the in-page confirmation dialog, sections.

import { ApiError } from "./api";
import { h, uid, type Child } from "./dom";

/** A visible error: the server's message and hint (or the thrown error's message). */
export function errorBox(err: unknown, what?: string, heading?: string): HTMLElement {
  let title = "Something went wrong";
  let message = err instanceof Error ? err.message : String(err);
  let hint: string | undefined;
  if (err instanceof ApiError) {
    hint = err.hint;
    if (err.notFound) title = what ? `${what} not found` : "Not found";
    else if (err.status === 401) title = "Not signed in";
    else if (err.status === 403) title = "Not allowed";
    else if (err.status === 0) title = "No answer from the server";
    else if (err.status >= 500) title = "The server failed";
    else title = "The server refused";
  }
  if (heading) title = heading;
  return h(
    "div",
    { class: "error-box", role: "alert", "data-testid": "error" },
    h("p", { class: "error-title" }, title),
    h("p", { class: "error-message" }, message),
    hint ? h("p", { class: "error-hint" }, hint) : null,
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = uid("section");
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

/**
 * A box that scrolls a wide table sideways, reachable by keyboard (a named region
 * that takes focus, so the arrow keys scroll it).
 */
export function scrollBox(label: string, content: Child, extraClass = ""): HTMLElement {
  return h(
    "div",
    { class: `table-wrap ${extraClass}`.trim(), tabindex: 0, role: "region", "aria-label": label },
    content,
  );
}

export function empty(text: string): HTMLElement {
  return h("p", { class: "empty" }, text);
}

export function statusBadge(status: string): HTMLElement {
  const known = ["running", "finished", "failed", "killed", "crashed", "cached"];
  const cls = known.includes(status) ? status : "other";
  return h("span", { class: `status status-${cls}` }, status);
}

export interface ConfirmOptions {
  title: string;
  body: Child[];
  confirm: string;
  /** A reason to ask for (its value is given to `action`); none when absent. */
  reason?: { label: string; value?: string; testid?: string; required?: boolean };
  action: (reason: string) => Promise<void>;
}

/**
 * A modal confirmation built in the page (a <dialog>): Cancel closes it, Confirm runs
 * `action` and closes it on success, or shows the error inside the dialog.
 */
export function confirmDialog(options: ConfirmOptions): void {
  const titleId = uid("dialog-title");
  const error = h("div", { class: "dialog-error" });
  const ok = h("button", { type: "submit", class: "primary", "data-testid": "confirm-ok" }, options.confirm);
  const cancel = h("button", { type: "button", "data-testid": "confirm-cancel" }, "Cancel");
  let reasonField: HTMLTextAreaElement | null = null;
  let reasonRow: HTMLElement | null = null;
  if (options.reason) {
    const id = uid("dialog-reason");
    reasonField = h("textarea", {
      id,
      rows: 3,
      maxlength: 2000,
      required: options.reason.required ?? false,
      "data-testid": options.reason.testid ?? "dialog-reason",
    });
    reasonField.value = options.reason.value ?? "";
    reasonRow = h("p", { class: "field" }, h("label", { for: id }, options.reason.label), reasonField);
  }
  const form = h(
    "form",
    { method: "dialog", class: "dialog-form" },
    h("h2", { id: titleId }, options.title),
    ...options.body,
    reasonRow,
    error,
    h("p", { class: "actions" }, cancel, " ", ok),
  );
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": titleId, "data-testid": "confirm-dialog" },
    form,
  );
  const close = (): void => {
    dialog.close();
    dialog.remove();
  };
  cancel.addEventListener("click", close);
  dialog.addEventListener("cancel", () => dialog.remove());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = reasonField?.value.trim() ?? "";
    if (options.reason?.required && !reason) {
      error.replaceChildren(
        errorBox(new Error("Give a reason: it is kept in the history."), undefined, "Check the form"),
      );
      reasonField?.focus();
      return;
    }
    ok.disabled = true;
    cancel.disabled = true;
    error.replaceChildren();
    options.action(reason).then(close, (err: unknown) => {
      ok.disabled = false;
      cancel.disabled = false;
      error.replaceChildren(errorBox(err));
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  (reasonField ?? ok).focus();
}

/** A text field for an alias name, as the registry accepts them, suggesting from `listId`. */
export function aliasField(id: string, listId: string, testid: string): HTMLInputElement {
  return h("input", {
    id,
    type: "text",
    required: true,
    list: listId,
    maxlength: 63,
    pattern: "[a-z][a-z0-9_\\-]{0,62}",
    autocomplete: "off",
    spellcheck: "false",
    "data-testid": testid,
  });
}
