// The login form (team server): POST /ui/session sets the session and CSRF cookies.
// With single sign-on configured, a link to /ui/sso/start sends the browser to the
// OpenID provider, whose answer comes back to /ui/sso/callback (the same cookies).

import { request } from "../api";
import { h, replace } from "../dom";
import { errorBox } from "../ui";

export function loginPage(
  main: HTMLElement,
  setTitle: (title: string) => void,
  loggedIn: () => void,
  sso = false,
): void {
  setTitle("Log in");
  const user = h("input", {
    id: "login-user",
    name: "user",
    type: "text",
    autocomplete: "username",
    required: true,
    maxlength: 200,
    "data-testid": "login-user",
  });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    maxlength: 1024,
    "data-testid": "login-password",
  });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "login-submit" }, "Log in");
  const error = h("div", { class: "form-error" });
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("p", { class: "field" }, h("label", { for: "login-user" }, "User name"), user),
    h("p", { class: "field" }, h("label", { for: "login-password" }, "Password"), password),
    error,
    h("p", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.replaceChildren();
    request<void>("/ui/session", {
      method: "POST",
      body: { user: user.value, password: password.value },
      quiet401: true,
    }).then(
      () => loggedIn(),
      (err: unknown) => {
        submit.disabled = false;
        password.value = "";
        error.replaceChildren(errorBox(err, undefined, "Could not log in"));
        password.focus();
      },
    );
  });
  const single = sso
    ? h(
        "p",
        { class: "sso" },
        h("a", { class: "sso-button", href: "/ui/sso/start", "data-testid": "login-sso" }, "Sign in with SSO"),
      )
    : null;
  const box = h("div", { class: "login-box" }, h("h1", { id: "login-title" }, "Log in to Shipyard"));
  if (single) box.append(single, h("p", { class: "sso-or" }, "or with a Shipyard password"));
  box.append(form);
  replace(main, box);
  user.focus();
}
