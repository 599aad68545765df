// Building the page from data safely: every string becomes a text node.
//
// There is no way here to parse markup: the app has no HTML-string setters at all,
// so a run named `<img src=x onerror=…>` is shown as those characters.
// Attributes are set one by one; `style` and `on*` attributes are refused (the
// Content-Security-Policy forbids inline styles and handlers, and events are bound
// with addEventListener).

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

const SVG_NS = "http://www.w3.org/2000/svg";

function setAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    const lower = name.toLowerCase();
    if (lower === "style" || lower.startsWith("on")) {
      throw new Error(`refusing to set the ${name} attribute`);
    }
    el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el: Element | DocumentFragment, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "number" ? String(child) : child);
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (numbers in attributes are written as given). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function fragment(...children: Child[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  append(frag, children);
  return frag;
}

/** Replace everything inside `el` with `children`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link inside the app: `parts` are path segments, each URL-encoded. */
export function route(...parts: (string | number)[]): string {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}

export function link(href: string, text: Child, attrs?: Attrs): HTMLAnchorElement {
  return h("a", { ...attrs, href }, text);
}

let ids = 0;
/** A fresh id for pairing a <label for> with its control. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A two-column table of key/value rows (keys are row headers). */
export function kvTable(caption: string, rows: [string, Child][], attrs?: Attrs): HTMLTableElement {
  const body = h("tbody");
  const frag = document.createDocumentFragment();
  for (const [key, value] of rows) {
    frag.append(h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, value)));
  }
  body.append(frag);
  return h("table", { class: "kv", ...attrs }, h("caption", { class: "visually-hidden" }, caption), body);
}

/** A table with a header row; `rows` are arrays of cells. */
export function table(caption: string, columns: string[], rows: Child[][], attrs?: Attrs): HTMLTableElement {
  const head = h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c)));
  const body = h("tbody");
  const frag = document.createDocumentFragment();
  for (const row of rows) frag.append(h("tr", {}, ...row.map((c) => h("td", {}, c))));
  body.append(frag);
  return h(
    "table",
    { class: "grid", ...attrs },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, head),
    body,
  );
}
