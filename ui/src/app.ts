// The shell: the session, the header (project picker, user, log out, navigation),
// and hash routing to the pages. Each page gets an AbortSignal that fires when the
// user navigates away, so late answers of an old page never reach the new one.

import { ApiError, get, isAbort, request, whenUnauthenticated } from "./api";
import { h, replace } from "./dom";
import { adminPage } from "./pages/admin";
import { loginPage } from "./pages/login";
import { comparePage } from "./pages/compare";
import { datasetPage, datasetsPage } from "./pages/datasets";
import { datasetDiffPage } from "./pages/datasetdiff";
import { datasetVersionPage } from "./pages/datasetversion";
import { modelPage } from "./pages/model";
import { modelsPage } from "./pages/models";
import { monitorsPage } from "./pages/monitors";
import { pipelinePage } from "./pages/pipeline";
import { pipelinesPage } from "./pages/pipelines";
import { runPage } from "./pages/run";
import { runsPage } from "./pages/runs";
import { versionPage } from "./pages/version";
import type { Session } from "./types";
import { errorBox } from "./ui";

export interface PageContext {
  session: Session;
  project: string;
  params: string[];
  query: URLSearchParams;
  signal: AbortSignal;
  main: HTMLElement;
  setTitle(title: string): void;
}

type Page = (ctx: PageContext) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  nav: "runs" | "models" | "datasets" | "pipelines" | "monitors" | "admin" | null;
  page: Page;
}

const ROUTES: Route[] = [
  { pattern: /^runs$/, nav: "runs", page: runsPage },
  { pattern: /^runs\/([^/]+)$/, nav: "runs", page: runPage },
  { pattern: /^compare$/, nav: "runs", page: comparePage },
  { pattern: /^models$/, nav: "models", page: modelsPage },
  { pattern: /^models\/([^/]+)$/, nav: "models", page: modelPage },
  { pattern: /^models\/([^/]+)\/versions\/([^/]+)$/, nav: "models", page: versionPage },
  { pattern: /^datasets$/, nav: "datasets", page: datasetsPage },
  { pattern: /^datasets\/([^/]+)$/, nav: "datasets", page: datasetPage },
  { pattern: /^datasets\/([^/]+)\/versions\/([^/]+)$/, nav: "datasets", page: datasetVersionPage },
  { pattern: /^datasets\/([^/]+)\/diff$/, nav: "datasets", page: datasetDiffPage },
  { pattern: /^pipelines$/, nav: "pipelines", page: pipelinesPage },
  { pattern: /^pipelines\/([^/]+)$/, nav: "pipelines", page: pipelinePage },
  { pattern: /^monitors$/, nav: "monitors", page: monitorsPage },
  { pattern: /^admin$/, nav: "admin", page: adminPage },
];

/** Pages that stay when the project changes (the others belong to one project). */
const TOP_PAGES = ["runs", "models", "datasets", "pipelines", "monitors", "admin"];

const PROJECT_KEY = "shipyard.project";

export class App {
  private session: Session | null = null;
  private project: string | null = null;
  private current: AbortController | null = null;
  private readonly header: HTMLElement;
  private readonly main: HTMLElement;
  private first = true;

  constructor(header: HTMLElement, main: HTMLElement) {
    this.header = header;
    this.main = main;
  }

  async start(): Promise<void> {
    whenUnauthenticated(() => void this.reloadSession());
    window.addEventListener("hashchange", () => void this.render());
    await this.reloadSession();
  }

  /** Ask the server who we are, then draw the header and the page (or the login form). */
  async reloadSession(): Promise<void> {
    this.current?.abort();
    try {
      this.session = await get<Session>("/ui/session");
    } catch (err) {
      this.session = null;
      replace(this.header, h("span", { class: "brand" }, "Shipyard"));
      replace(this.main, h("h1", {}, "Shipyard"), errorBox(err));
      document.title = "Error · Shipyard";
      return;
    }
    this.pickProject();
    this.drawHeader();
    await this.render();
  }

  private pickProject(): void {
    const session = this.session;
    if (!session) return;
    const saved = localStorage.getItem(PROJECT_KEY);
    if (saved && session.projects.includes(saved)) this.project = saved;
    else this.project = session.project ?? session.projects[0] ?? null;
  }

  private drawHeader(): void {
    const session = this.session;
    if (!session) return;
    const brand = h("a", { class: "brand", href: "#/runs" }, "Shipyard");
    if (!session.user) {
      replace(this.header, brand);
      return;
    }
    const nav = h(
      "nav",
      { "aria-label": "Main" },
      h(
        "ul",
        {},
        h("li", {}, h("a", { href: "#/runs", "data-nav": "runs" }, "Runs")),
        h("li", {}, h("a", { href: "#/models", "data-nav": "models" }, "Models")),
        h("li", {}, h("a", { href: "#/datasets", "data-nav": "datasets" }, "Datasets")),
        h("li", {}, h("a", { href: "#/pipelines", "data-nav": "pipelines" }, "Pipelines")),
        h("li", {}, h("a", { href: "#/monitors", "data-nav": "monitors" }, "Monitoring")),
        session.admin ? h("li", {}, h("a", { href: "#/admin", "data-nav": "admin" }, "Admin")) : null,
      ),
    );
    const picker = h("select", { id: "project-picker", "data-testid": "project-picker" });
    for (const name of session.projects) {
      const option = h("option", { value: name }, name);
      option.selected = name === this.project;
      picker.append(option);
    }
    picker.disabled = session.projects.length < 2;
    picker.addEventListener("change", () => {
      this.project = picker.value;
      localStorage.setItem(PROJECT_KEY, picker.value);
      const path = location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";
      if (path.startsWith("models/")) location.hash = "#/models";
      else if (path.startsWith("pipelines/")) location.hash = "#/pipelines";
      else if (path.startsWith("datasets/")) location.hash = "#/datasets";
      else if (!TOP_PAGES.includes(path)) location.hash = "#/runs";
      else void this.render();
    });
    const user = h("span", { class: "user", "data-testid": "user-name" }, session.user);
    const logout = session.login
      ? h("button", { type: "button", class: "link-button", "data-testid": "logout" }, "Log out")
      : null;
    logout?.addEventListener("click", () => void this.logOut());
    replace(
      this.header,
      brand,
      nav,
      h(
        "div",
        { class: "who" },
        session.projects.length
          ? h("span", { class: "picker" }, h("label", { for: "project-picker" }, "Project"), " ", picker)
          : null,
        h("span", { class: "signed-in" }, "Signed in as ", user),
        logout,
      ),
    );
  }

  private async logOut(): Promise<void> {
    try {
      await request<void>("/ui/session", { method: "DELETE" });
    } catch (err) {
      replace(this.main, h("h1", {}, "Log out"), errorBox(err));
      return;
    }
    await this.reloadSession();
  }

  async render(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    const setTitle = (title: string): void => {
      if (!controller.signal.aborted) document.title = `${title} · Shipyard`;
    };
    if (!session.user) {
      if (session.login) {
        loginPage(this.main, setTitle, () => void this.reloadSession(), session.sso === true);
      } else {
        setTitle("Not signed in");
        replace(
          this.main,
          h("h1", {}, "Not signed in"),
          h(
            "p",
            {},
            "This page needs the link that `shipyard ui` printed when it started: open that link again.",
          ),
        );
      }
      return;
    }
    const [rawPath, rawQuery] = splitHash(location.hash);
    if (rawPath === "") {
      history.replaceState(null, "", "#/runs");
      return this.render();
    }
    const route = ROUTES.find((r) => r.pattern.test(rawPath));
    this.markNav(route?.nav ?? null);
    let params: string[] | null = null;
    if (route) {
      try {
        params = (route.pattern.exec(rawPath) ?? []).slice(1).map((p) => decodeURIComponent(p));
      } catch {
        params = null; // a malformed %-escape: no page has that address
      }
    }
    if (!route || params === null) {
      setTitle("No such page");
      replace(
        this.main,
        h("h1", {}, "No such page"),
        h("p", {}, "Nothing lives at this address. ", h("a", { href: "#/runs" }, "Go to the runs"), "."),
      );
      return;
    }
    if (!this.project) {
      setTitle("No projects");
      replace(
        this.main,
        h("h1", {}, "No projects"),
        h("p", {}, "You have no role in any project yet: ask an administrator to give you one."),
      );
      return;
    }
    replace(this.main, h("p", { class: "loading", role: "status" }, "Loading…"));
    if (!this.first) this.main.focus({ preventScroll: true });
    this.first = false;
    window.scrollTo(0, 0);
    const ctx: PageContext = {
      session,
      project: this.project,
      params,
      query: new URLSearchParams(rawQuery),
      signal: controller.signal,
      main: this.main,
      setTitle,
    };
    try {
      await route.page(ctx);
    } catch (err) {
      if (isAbort(err) || controller.signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) return; // the login form is shown
      replace(this.main, h("h1", {}, "Error"), errorBox(err));
      setTitle("Error");
    }
  }

  private markNav(active: string | null): void {
    for (const a of this.header.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
      if (a.dataset.nav === active) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }
}

function splitHash(hash: string): [string, string] {
  const text = hash.replace(/^#\/?/, "");
  const at = text.indexOf("?");
  const path = (at < 0 ? text : text.slice(0, at)).replace(/\/+$/, "");
  return [path, at < 0 ? "" : text.slice(at + 1)];
}
